package dev.walden.agent.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a major's server and client programs are, and which major they are: {@code pg-bin} when set, else Debian's
 * {@code /usr/lib/postgresql/MAJOR/bin}. A drill, a dump and the printed start command all take them from here, and a
 * drill refuses binaries of another major than the backup's, naming both.
 */
public final class PostgresBinaries {
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) ([0-9]+)");

    private PostgresBinaries() {}

    /** The directory of {@code major}'s programs. */
    public static Path directory(Optional<Path> pgBin, int major) {
        return pgBin.orElse(Path.of("/usr/lib/postgresql/" + major + "/bin"));
    }

    /** The major of the server in {@code bin}, from {@code postgres --version}; empty when it does not answer. */
    public static OptionalInt majorOf(Path bin) throws IOException {
        Path postgres = bin.resolve("postgres");
        if (!Files.isExecutable(postgres)) {
            return OptionalInt.empty();
        }
        Process process = new ProcessBuilder(postgres.toString(), "--version").redirectErrorStream(true).start();
        try {
            byte[] output = process.getInputStream().readNBytes(4096);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return OptionalInt.empty();
            }
            Matcher version = VERSION.matcher(new String(output, StandardCharsets.UTF_8));
            return process.exitValue() == 0 && version.find() ? OptionalInt.of(Integer.parseInt(version.group(1))) : OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + postgres + " its version", e);
        }
    }

    /**
     * Refuses binaries of another major than {@code major}: a data directory only starts with its own major's server.
     *
     * @return why not, or empty when they are the right major
     */
    public static Optional<String> wrongMajor(Path bin, int major) throws IOException {
        OptionalInt found = majorOf(bin);
        if (found.isEmpty()) {
            return Optional.of(bin.resolve("postgres") + " does not answer --version; a drill runs the cluster's own server."
                    + " HINT: install postgresql-" + major + ", or set pg-bin to its bin directory");
        }
        if (found.getAsInt() != major) {
            return Optional.of("the backup is of PostgreSQL " + major + " but " + bin + " holds PostgreSQL " + found.getAsInt()
                    + "; a data directory starts only with its own major's server. HINT: install postgresql-" + major
                    + ", or set pg-bin to PostgreSQL " + major + "'s bin directory");
        }
        return Optional.empty();
    }
}
