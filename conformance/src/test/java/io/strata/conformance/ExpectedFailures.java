package io.strata.conformance;

import java.util.Map;
import java.util.Optional;

/**
 * The one list of tests known to fail on a target, with why. The suite fails a listed test that
 * passes as surely as an unlisted one that fails, so this list stays exactly true.
 */
final class ExpectedFailures {
    private ExpectedFailures() {}

    private static final String NO_REFERRERS = "distribution 2.8 has no referrers API: it answers 404";

    private static final Map<String, Map<String, String>> BY_TARGET = Map.of(
            "distribution", Map.of(
                    "listTags", "distribution 2.8 lists tags in storage order, not lexical order",
                    "listTagsPaginated", "distribution 2.8 ignores n and last on tags/list (pagination came in 3.0)",
                    "listTagsWithZero", "distribution 2.8 ignores n=0 and returns every tag",
                    "outOfOrderChunkIs416", "distribution 2.8 accepts a chunk whose Content-Range skips ahead (202)",
                    "repeatedChunkIs416", "distribution 2.8 accepts a chunk that repeats a range (202)",
                    "pushManifestWithSubjectAnswersOciSubject", "distribution 2.8 predates OCI-Subject (spec 1.1)",
                    "referrersListsManifestsWithSubject", NO_REFERRERS,
                    "referrersFilterByArtifactType", NO_REFERRERS,
                    "referrersOfUnknownDigestIsEmptyIndex", NO_REFERRERS,
                    "referrersTakeArtifactTypeFromConfig", NO_REFERRERS));

    static Optional<String> reason(String target, String test) {
        return Optional.ofNullable(BY_TARGET.getOrDefault(target, Map.of()).get(test));
    }
}
