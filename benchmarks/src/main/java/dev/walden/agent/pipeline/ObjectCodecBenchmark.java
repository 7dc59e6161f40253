package dev.walden.agent.pipeline;

import dev.walden.agent.codec.ZstdCompressor;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.KeyringFile;
import dev.walden.agent.crypto.ObjectEncryption;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole per-segment CPU work of push (read, CRC-32C, zstd, chunk, encrypt) and fetch (decrypt, de-chunk,
 * unzstd, CRC-32C, write) on one 16 MiB WAL-like segment from the page cache, without storage or fsync.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class ObjectCodecBenchmark {
    private static final String NAME = "000000010000000000000001";
    private static final ZstdCompressor ZSTD = new ZstdCompressor(3);

    @Param({"none", "aes-256-gcm"})
    public String encryption;

    private Path directory;
    private FileChannel source;
    private byte[] stored;
    private ObjectEncryption objectEncryption;
    private Keyring keyring;
    private FileChannel sink;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        directory = Files.createTempDirectory("walden-bench");
        byte[] segment = walLike(16 << 20);
        Path file = Files.write(directory.resolve(NAME), segment);
        source = FileChannel.open(file);
        if (encryption.equals("none")) {
            keyring = Keyring.EMPTY;
            objectEncryption = ObjectEncryption.none();
        } else {
            Path keyringFile = directory.resolve("keyring");
            KeyringFile.addKey(keyringFile, Optional.of("bench"), true, false, new SecureRandom());
            keyring = KeyringFile.load(keyringFile, Optional.empty());
            objectEncryption = ObjectEncryption.aesGcm(keyring, ObjectEncryption.RandomBytes.secure());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ObjectCodec.write(out, ObjectKind.SEGMENT, NAME, ZSTD, objectEncryption, source);
        stored = out.toByteArray();
        sink = FileChannel.open(directory.resolve("restored"), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        source.close();
        sink.close();
        try (var files = Files.list(directory)) {
            for (Path path : (Iterable<Path>) files::iterator) {
                Files.delete(path);
            }
        }
        Files.delete(directory);
    }

    @Benchmark
    public Object pushEncode() throws IOException {
        return ObjectCodec.write(OutputStream.nullOutputStream(), ObjectKind.SEGMENT, NAME, ZSTD,
                objectEncryption, source);
    }

    @Benchmark
    public Object fetchDecode() throws Exception {
        sink.position(0);
        return ObjectCodec.read(new ByteArrayInputStream(stored), NAME, ObjectKind.SEGMENT, keyring, sink);
    }

    @Benchmark
    public Object fetchDecodeDiscard() throws Exception {
        return ObjectCodec.read(new ByteArrayInputStream(stored), NAME, ObjectKind.SEGMENT, keyring,
                Channels.newChannel(OutputStream.nullOutputStream()));
    }

    /** Mostly repeated page images with some noise: about as compressible as pgbench WAL (~10x with zstd -3). */
    static byte[] walLike(int size) {
        byte[] bytes = new byte[size];
        Random random = new Random(42);
        byte[] page = new byte[8192];
        random.nextBytes(page);
        for (int offset = 0; offset < size; offset += page.length) {
            System.arraycopy(page, 0, bytes, offset, page.length);
            for (int i = 0; i < 600; i++) {
                bytes[offset + random.nextInt(page.length)] = (byte) random.nextInt();
            }
            page[random.nextInt(page.length)] ^= 1;
        }
        return bytes;
    }
}
