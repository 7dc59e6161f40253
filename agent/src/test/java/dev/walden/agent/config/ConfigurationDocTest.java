package dev.walden.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is generated from AgentOptions; this fails when the two drift apart. */
class ConfigurationDocTest {
    @Test
    void committedConfigurationReferenceMatchesTheOptionDefinitions() throws Exception {
        Path doc = Path.of(System.getProperty("walden.docs", "../docs"), "configuration.md");
        assertEquals(OptionsDoc.markdown(), Files.readString(doc),
                "docs/configuration.md is stale: regenerate it with "
                        + "'packaging/target/walden/bin/walden-agent options --markdown > docs/configuration.md'");
    }
}
