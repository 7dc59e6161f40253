package dev.walden.agent.storage;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/**
 * A store seen through the repository's rate limits ({@code upload-rate-limit-mib}, {@code download-rate-limit-mib}):
 * object bytes written by puts and read from opened objects are taken from the shared {@link RateLimit} of their
 * direction, in this view's lane. The agent hands the WAL pipelines a view in the WAL lane and backups, dumps and
 * records one in the bulk lane, so what is being moved chooses its lane, not its key. Listings and deletes are not
 * limited (they carry no object data).
 */
public final class RateLimitedStorage extends ForwardingStorage {
    /** Bytes taken per step: a 16 MiB segment waits at most this long behind a backup's step. */
    static final int STEP = 64 << 10;

    private final Optional<RateLimit> upload;
    private final Optional<RateLimit> download;
    private final RateLimit.Lane lane;

    public RateLimitedStorage(Storage inner, Optional<RateLimit> upload, Optional<RateLimit> download, RateLimit.Lane lane) {
        super(inner);
        this.upload = upload;
        this.download = download;
        this.lane = lane;
    }

    /** {@code inner} itself when neither direction is limited: no cost on the push path unless a limit is set. */
    public static Storage of(Storage inner, Optional<RateLimit> upload, Optional<RateLimit> download, RateLimit.Lane lane) {
        return upload.isEmpty() && download.isEmpty() ? inner : new RateLimitedStorage(inner, upload, download, lane);
    }

    @Override
    public PutOutcome putIfAbsent(String key, ObjectWriter writer) throws IOException {
        if (upload.isEmpty()) {
            return inner.putIfAbsent(key, writer);
        }
        RateLimit limit = upload.get();
        return inner.putIfAbsent(key, out -> writer.writeTo(new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                limit.take(1, lane);
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                for (int done = 0; done < len; ) {
                    int step = Math.min(STEP, len - done);
                    limit.take(step, lane);
                    out.write(b, off + done, step);
                    done += step;
                }
            }
        }));
    }

    @Override
    public InputStream open(String key) throws IOException {
        InputStream in = inner.open(key);
        if (download.isEmpty()) {
            return in;
        }
        RateLimit limit = download.get();
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    limit.take(1, lane);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, Math.min(len, STEP));
                if (n > 0) {
                    limit.take(n, lane);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long skipped = super.skip(n);
                if (skipped > 0) {
                    limit.take(skipped, lane);
                }
                return skipped;
            }
        };
    }

    @Override
    public void close() throws IOException {
        // the agent closes the store itself once; a view owns nothing
    }
}
