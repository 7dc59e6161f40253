package dev.walden.agent.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on 127.0.0.1 in front of a real server that can be told to fail: answer every request with
 * 503 SlowDown, a status line no client can parse, a body cut short, a connection reset, or nothing at all; or delay
 * every connection, or pass traffic through. {@link #everyNth} makes the fault intermittent, as a flaky middlebox is.
 * Switching modes drops open connections, so pooled keep-alive connections cannot dodge the fault.
 */
public final class FaultyProxy implements AutoCloseable {
    public enum Mode { PASS, SLOW_DOWN_503, DELAY, GARBAGE_STATUS, TRUNCATED_BODY, RESET, NO_ANSWER, INVALID_OBJECT_STATE }

    /** Each request passed through, as its request line and, when it has one, its x-amz-storage-class header. */
    private final java.util.List<String> storageClassRequests = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** "METHOD /path?query HTTP/1.1 -> CLASS" for every request that named a storage class, in order. */
    public java.util.List<String> storageClassRequests() {
        return java.util.List.copyOf(storageClassRequests);
    }

    /** Bytes of an answer passed on in {@link Mode#TRUNCATED_BODY} before the connection is closed. */
    static final int TRUNCATE_AFTER = 1500;
    private volatile int everyNth = 1;
    private final java.util.concurrent.atomic.AtomicLong connections = new java.util.concurrent.atomic.AtomicLong();

    private final ServerSocket server;
    private final int upstreamPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile Mode mode = Mode.PASS;
    private volatile long delayMillis;

    public FaultyProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "faulty-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Only every n-th connection gets the fault; the others pass. 1 (the default): every connection. */
    public void everyNth(int n) {
        this.everyNth = n;
    }

    public int port() {
        return server.getLocalPort();
    }

    public void set(Mode mode, long delayMillis) {
        this.delayMillis = delayMillis;
        this.mode = mode;
        for (Socket socket : open) {
            closeQuietly(socket);
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                open.add(client);
                Thread handler = new Thread(() -> handle(client), "faulty-proxy-connection");
                handler.setDaemon(true);
                handler.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try {
            Mode mode = connections.incrementAndGet() % everyNth == 0 ? this.mode : Mode.PASS;
            switch (mode) {
                case RESET -> {
                    readRequestHead(client.getInputStream());
                    client.setSoLinger(true, 0);
                    closeQuietly(client);
                    return;
                }
                case NO_ANSWER -> {
                    // Reads the request and says nothing until the mode changes (which closes the connection).
                    readRequestHead(client.getInputStream());
                    client.getInputStream().transferTo(OutputStream.nullOutputStream());
                    return;
                }
                case TRUNCATED_BODY -> {
                    Socket upstream = new Socket();
                    upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 5000);
                    open.add(upstream);
                    Thread back = new Thread(() -> pump(upstream, client, TRUNCATE_AFTER), "faulty-proxy-back");
                    back.setDaemon(true);
                    back.start();
                    pump(client, upstream, Long.MAX_VALUE);
                    return;
                }
                case INVALID_OBJECT_STATE -> {
                    // What S3 answers a GET of an object in GLACIER or DEEP_ARCHIVE that was not restored.
                    readRequestHead(client.getInputStream());
                    String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InvalidObjectState</Code>"
                            + "<Message>The operation is not valid for the object's storage class</Message>"
                            + "<StorageClass>DEEP_ARCHIVE</StorageClass></Error>";
                    client.getOutputStream().write(("HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: "
                            + body.length() + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                    client.getOutputStream().flush();
                    closeQuietly(client);
                    return;
                }
                case SLOW_DOWN_503 -> {
                    readRequestHead(client.getInputStream());
                    String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
                            + "<Message>Please reduce your request rate.</Message></Error>";
                    client.getOutputStream().write(("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: "
                            + body.length() + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                    client.getOutputStream().flush();
                    closeQuietly(client);
                    return;
                }
                case GARBAGE_STATUS -> {
                    // What a broken middlebox may answer: a status line no HTTP client can parse.
                    readRequestHead(client.getInputStream());
                    client.getOutputStream().write("HTTP/1.1 -1 Garbage\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    client.getOutputStream().flush();
                    closeQuietly(client);
                    return;
                }
                case DELAY -> Thread.sleep(delayMillis);
                case PASS -> { }
            }
            Socket upstream = new Socket();
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 5000);
            open.add(upstream);
            Thread back = new Thread(() -> pump(upstream, client, Long.MAX_VALUE), "faulty-proxy-back");
            back.setDaemon(true);
            back.start();
            pumpTapped(client, upstream);
        } catch (IOException | InterruptedException e) {
            closeQuietly(client);
        }
    }

    /** Copies until either side closes, or until {@code limit} bytes have passed, then closes both. */
    private void pump(Socket from, Socket to, long limit) {
        byte[] buffer = new byte[64 * 1024];
        long passed = 0;
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int read;
            while (passed < limit && (read = in.read(buffer)) >= 0) {
                int count = (int) Math.min(read, limit - passed);
                out.write(buffer, 0, count);
                passed += count;
            }
        } catch (IOException e) {
            // either side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** As {@link #pump}, noting the storage class each request names (its header lines are plain text over http). */
    private void pumpTapped(Socket from, Socket to) {
        byte[] buffer = new byte[64 * 1024];
        StringBuilder line = new StringBuilder();
        String[] requestLine = {""};
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                for (int i = 0; i < read; i++) {
                    char c = (char) (buffer[i] & 0xff);
                    if (c == '\n') {
                        String text = line.toString().strip();
                        if (text.matches("(GET|PUT|POST|HEAD|DELETE) /\\S* HTTP/1\\.1")) {
                            requestLine[0] = text;
                        } else if (text.toLowerCase(java.util.Locale.ROOT).startsWith("x-amz-storage-class:")) {
                            storageClassRequests.add(requestLine[0] + " -> " + text.substring(text.indexOf(':') + 1).strip());
                        }
                        line.setLength(0);
                    } else if (line.length() < 4096) {
                        line.append(c);
                    }
                }
                out.write(buffer, 0, read);
            }
        } catch (IOException e) {
            // either side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void readRequestHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        int b;
        while (matched < 4 && (b = in.read()) >= 0) {
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    private void closeQuietly(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            closeQuietly(socket);
        }
    }
}
