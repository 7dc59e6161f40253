package dev.walden.agent.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every configuration block in README.md and docs/*.md, and the shipped sample configuration, parses as written: the
 * block is pasted into a file and read by the agent's own parser, as a DBA would paste it into walden-agent.conf.
 */
class DocumentedConfigurationTest {
    static final Path DOCS = Path.of(System.getProperty("walden.docs", "../docs"));
    static final Set<String> KEYS = Stream.concat(AgentOptions.ALL.stream(), java.util.stream.IntStream.rangeClosed(2, AgentOptions.MAX_REPOSITORIES)
            .boxed().flatMap(n -> AgentOptions.PER_REPOSITORY.stream().map(o -> o.forRepository(n)))).map(Option::key).collect(Collectors.toSet());

    @TempDir
    Path dir;

    /** A fenced block whose settings are all the agent's options: a walden-agent.conf snippet. */
    record Block(Path file, int line, String text) {}

    static List<Block> blocks() throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(DOCS.resolveSibling("README.md"));
        try (Stream<Path> docs = Files.list(DOCS)) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        List<Block> blocks = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                if (!lines.get(i).startsWith("```")) {
                    continue;
                }
                int start = i + 1;
                int end = start;
                while (end < lines.size() && !lines.get(end).startsWith("```")) {
                    end++;
                }
                List<String> body = lines.subList(start, end);
                List<String> settings = body.stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
                if (!settings.isEmpty() && settings.stream().allMatch(l -> l.matches("[a-z0-9-]+\\s*=.*")
                        && KEYS.contains(l.substring(0, l.indexOf('=')).strip()))) {
                    blocks.add(new Block(file, start, String.join("\n", body) + "\n"));
                }
                i = end;
            }
        }
        return blocks;
    }

    @Test
    void everyDocumentedConfigurationBlockParses() throws Exception {
        List<Block> blocks = blocks();
        assertTrue(blocks.size() >= 4, "the README and docs hold configuration blocks: " + blocks.size());
        List<String> failures = new ArrayList<>();
        for (Block block : blocks) {
            Path conf = Files.writeString(dir.resolve("walden-agent.conf"), block.text());
            try {
                AgentConfig.load(conf, Map.of(), Map.of());
            } catch (ConfigException e) {
                failures.add(block.file().getFileName() + " line " + block.line() + ": " + e.getMessage());
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void theSampleConfigurationParsesAndEachCommentedSettingParsesUncommented() throws Exception {
        Path sample = DOCS.resolveSibling("packaging/src/conf/walden-agent.conf");
        AgentConfig.load(sample, Map.of(), Map.of());
        List<String> failures = new ArrayList<>();
        for (String line : Files.readAllLines(sample)) {
            String uncommented = line.replaceFirst("^#\\s*", "");
            if (line.startsWith("#") && uncommented.matches("[a-z0-9-]+\\s*=.*") && KEYS.contains(uncommented.substring(0, uncommented.indexOf('=')).strip())) {
                if (uncommented.startsWith("repo-type") || uncommented.startsWith("s3-") || uncommented.startsWith("encryption")) {
                    continue;  // S3 settings stand together; the S3 block of the docs is checked whole above
                }
                Path conf = Files.writeString(dir.resolve("one.conf"), uncommented + "\n");
                try {
                    AgentConfig.load(conf, Map.of(), Map.of());
                } catch (ConfigException e) {
                    failures.add(uncommented + ": " + e.getMessage());
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void inlineCommentsAndCronHashesAndPathsWithComments() throws Exception {
        Path conf = Files.writeString(dir.resolve("c.conf"), """
                retain-pitr-days = 7          # point-in-time recovery to any moment of the last 7 days
                schedule-drill = 0 4 * * 0#1  # 04:00 on the first Sunday
                repo-path = /var/lib/walden/repo        # better: a different disk
                """);
        AgentConfig config = AgentConfig.load(conf, Map.of(), Map.of());
        assertTrue(config.repoPath().toString().equals("/var/lib/walden/repo"), config.repoPath().toString());
        Path hashed = Files.writeString(dir.resolve("h.conf"), "repo-path = /var/lib/walden/repo#2\n");
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> AgentConfig.load(hashed, Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("'#'"), e.getMessage());
        ConfigException missing = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> AgentConfig.load(dir.resolve("nope.conf"), Map.of(), Map.of()));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }
}
