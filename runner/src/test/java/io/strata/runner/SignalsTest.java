package io.strata.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SignalsTest {
    @Test
    void namesNumbersAndRealTimeSignals() {
        assertEquals("SIGINT", Signals.parse("SIGINT"));
        assertEquals("SIGINT", Signals.parse("int"));
        assertEquals("SIGINT", Signals.parse("2"));
        assertEquals("SIGKILL", Signals.parse("9"));
        assertEquals("SIGSYS", Signals.parse("31"));
        assertEquals("34", Signals.parse("SIGRTMIN"));
        assertEquals("37", Signals.parse("RTMIN+3"));
        assertEquals("62", Signals.parse("SIGRTMAX-2"));
        for (String bad : new String[] {"BOGUS", "99", "0", "32", "65", "", "SIG", "RTMIN+40", "-1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Signals.parse(bad), bad);
            assertEquals("invalid signal: " + bad, e.getMessage());
        }
    }
}
