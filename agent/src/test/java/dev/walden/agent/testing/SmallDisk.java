package dev.walden.agent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real, small file system (tmpfs of a given size) mounted for a test: a disk that really fills up, and that can
 * really be made read-only. Needs root (CAP_SYS_ADMIN); the test is skipped, saying why, where mounting is not allowed.
 */
public final class SmallDisk implements AutoCloseable {
    private final Path mountPoint;

    private SmallDisk(Path mountPoint) {
        this.mountPoint = mountPoint;
    }

    public static SmallDisk mount(Path mountPoint, int mebibytes) throws IOException, InterruptedException {
        Files.createDirectories(mountPoint);
        int exit = run("mount", "-t", "tmpfs", "-o", "size=" + mebibytes + "m,mode=0755", "tmpfs", mountPoint.toString());
        Assumptions.assumeTrue(exit == 0, "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)");
        return new SmallDisk(mountPoint);
    }

    public Path path() {
        return mountPoint;
    }

    public void readOnly(boolean readOnly) throws IOException, InterruptedException {
        if (run("mount", "-o", "remount," + (readOnly ? "ro" : "rw"), mountPoint.toString()) != 0) {
            throw new IOException("could not remount " + mountPoint);
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("umount", "-l", mountPoint.toString());
    }
}
