package io.strata.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The next page of a listing, from RFC 8288 Link headers as registries write them. */
class NextLinkTest {
    @Test
    void findsRelNextAmongOtherLinks() {
        assertEquals("/v2/lib/app/tags/list?n=5&last=te", RegistryClient.nextLink(List.of("</v2/lib/app/tags/list?n=5&last=te>; rel=\"next\"")));
        assertEquals("/v2/_catalog?last=b&n=2", RegistryClient.nextLink(List.of("</v2/_catalog?last=a>; rel=\"prev\", </v2/_catalog?last=b&n=2>; rel=next")));
        assertEquals("https://r.example/v2/x/tags/list?last=z", RegistryClient.nextLink(List.of("<https://r.example/v2/x/tags/list?last=z>;rel=\"next\"")));
        assertNull(RegistryClient.nextLink(List.of("</v2/_catalog?last=a>; rel=\"prev\"")));
        assertNull(RegistryClient.nextLink(List.of()));
    }
}
