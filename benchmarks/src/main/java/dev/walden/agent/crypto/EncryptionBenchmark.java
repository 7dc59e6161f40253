package dev.walden.agent.crypto;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encrypting and decrypting one 16 MiB WAL segment with the object encryption (AES-256-GCM, 64 KiB chunks), on one
 * thread. Throughput = 16 MiB / the reported time per operation; docs/benchmarks.md has the figures.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class EncryptionBenchmark {
    static final int SEGMENT = 16 << 20;
    private static final byte[] HEADER = "WLDN benchmark header 000000010000000000000001".getBytes();

    private byte[] plaintext;
    private byte[] sealed;
    private byte[] readBuffer;
    private ObjectEncryption encryption;
    private Keyring keyring;

    @Setup
    public void setUp() throws IOException {
        plaintext = new byte[SEGMENT];
        new Random(1).nextBytes(plaintext);
        byte[] key = new byte[32];
        new Random(2).nextBytes(key);
        keyring = new Keyring(Map.of("bench", key), "bench");
        encryption = ObjectEncryption.aesGcm(keyring, ObjectEncryption.RandomBytes.secure());
        ByteArrayOutputStream out = new ByteArrayOutputStream(SEGMENT + 8192);
        ObjectEncryption.Sealing sealing = encryption.beginObject();
        out.write(sealing.headerExtension());
        try (OutputStream stream = sealing.encrypt(out, ObjectEncryption.concat(HEADER, sealing.headerExtension()))) {
            stream.write(plaintext);
        }
        sealed = out.toByteArray();
        readBuffer = new byte[256 * 1024];
    }

    @Benchmark
    public long encrypt16MiB() throws IOException {
        CountingSink sink = new CountingSink();
        ObjectEncryption.Sealing sealing = encryption.beginObject();
        try (OutputStream stream = sealing.encrypt(sink, ObjectEncryption.concat(HEADER, sealing.headerExtension()))) {
            for (int offset = 0; offset < SEGMENT; offset += readBuffer.length) {
                stream.write(plaintext, offset, readBuffer.length);
            }
        }
        return sink.count;
    }

    @Benchmark
    public long decrypt16MiB() throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(sealed));
        ObjectEncryption.Opening opening = ObjectEncryption.readHeaderExtension(ObjectEncryption.AES_256_GCM_STREAM_ID, in,
                HEADER, keyring, "bench");
        long total = 0;
        try (InputStream plain = opening.decrypt(in)) {
            int read;
            while ((read = plain.read(readBuffer)) >= 0) {
                total += read;
            }
        }
        return total;
    }

    /**
     * For comparison only: the same 64 KiB-chunk AES-256-GCM through Bouncy Castle's low-level Java API, the
     * alternative to the JDK provider that docs/encryption.md explains not choosing.
     */
    @Benchmark
    public long bouncyCastleLowLevelGcmEncrypt16MiB() throws Exception {
        org.bouncycastle.crypto.modes.GCMModeCipher gcm =
                org.bouncycastle.crypto.modes.GCMBlockCipher.newInstance(org.bouncycastle.crypto.engines.AESEngine.newInstance());
        byte[] key = new byte[32];
        byte[] out = new byte[ObjectEncryption.CHUNK_SIZE + 16];
        long total = 0;
        int chunk = ObjectEncryption.CHUNK_SIZE;
        for (int index = 0; index < SEGMENT / chunk; index++) {
            byte[] nonce = StreamNonce.of(new byte[7], index, index == SEGMENT / chunk - 1);
            gcm.init(true, new org.bouncycastle.crypto.params.AEADParameters(
                    new org.bouncycastle.crypto.params.KeyParameter(key), 128, nonce, HEADER));
            int length = gcm.processBytes(plaintext, index * chunk, chunk, out, 0);
            total += length + gcm.doFinal(out, length);
        }
        return total;
    }

    /** Discards output; JMH's Blackhole is not an OutputStream. */
    static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            count += length;
        }
    }
}
