package io.strata.snapshots;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NativeTest {
    @Test
    void isRootSaysWhatIdSaysOfTheEffectiveUser() throws Exception {
        Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        String uid = new String(id.getInputStream().readAllBytes()).strip();
        assertEquals(0, id.waitFor(), uid);
        assertEquals(uid.equals("0"), Native.isRoot(), "id -u says " + uid);
    }
}
