package dev.walden.agent.backup;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * Reads a manifest as a stream: the header first, then one file at a time in path order, so that what a reader holds
 * is one file, whatever the size of the cluster. A version-1 manifest (files before the object list) is read whole
 * into memory, as its writer held it. The files of either version come out in strictly increasing path order
 * ({@link PathOrder}); a manifest that breaks that order is malformed, since backups merge by it.
 */
public final class ManifestReader implements AutoCloseable {
    private final InputStream input;
    private final JsonParser parser;
    private final Manifest.Header header;
    /** Version 1's files, read whole; null for a streamed version 2. */
    private final Iterator<Manifest.FileEntry> held;
    private String lastPath;
    private boolean finished;

    private ManifestReader(InputStream input, JsonParser parser, Manifest.Header header, Iterator<Manifest.FileEntry> held) {
        this.input = input;
        this.parser = parser;
        this.header = header;
        this.held = held;
    }

    /** Reads the header; the stream is closed with the reader. */
    public static ManifestReader open(InputStream input) throws IOException, ManifestJson.FormatException {
        JsonParser parser = null;
        try {
            parser = ManifestJson.factory().createParser(input);
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new ManifestJson.FormatException("not a " + Manifest.FORMAT);
            }
            ObjectNode fields = JsonNodeFactory.instance.objectNode();
            List<Manifest.FileEntry> oldFiles = null;
            int version = -1;
            boolean filesFollow = false;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                if (name.equals("files")) {
                    version = ManifestJson.checkFormat(fields, Manifest.FORMAT, Manifest.VERSION);
                    if (parser.currentToken() != JsonToken.START_ARRAY) {
                        throw new ManifestJson.FormatException("manifest is malformed: its files are not a list");
                    }
                    if (version >= 2) {
                        filesFollow = true;
                        break;
                    }
                    oldFiles = new ArrayList<>();
                    while (parser.nextToken() == JsonToken.START_OBJECT) {
                        oldFiles.add(ManifestJson.file(parser.readValueAsTree()));
                    }
                    continue;
                }
                fields.set(name, parser.readValueAsTree());
            }
            version = ManifestJson.checkFormat(fields, Manifest.FORMAT, Manifest.VERSION);
            if (version >= 2 ? !filesFollow : oldFiles == null) {
                throw new ManifestJson.FormatException("manifest is malformed: field 'files' is missing");
            }
            Manifest.Header header = ManifestJson.header(fields, oldFiles == null ? 0 : oldFiles.size());
            Iterator<Manifest.FileEntry> held = null;
            if (oldFiles != null) {
                oldFiles.sort(Comparator.comparing(Manifest.FileEntry::path, PathOrder.PATHS));
                held = oldFiles.iterator();
            }
            return new ManifestReader(input, parser, header, held);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            close(input, parser);
            throw new ManifestJson.FormatException("manifest is malformed: " + e.getMessage());
        } catch (IOException | ManifestJson.FormatException | RuntimeException e) {
            close(input, parser);
            throw e;
        }
    }

    public Manifest.Header header() {
        return header;
    }

    /** The next file in path order, or null after the last. */
    public Manifest.FileEntry next() throws IOException, ManifestJson.FormatException {
        if (finished) {
            return null;
        }
        Manifest.FileEntry entry;
        try {
            if (held != null) {
                entry = held.hasNext() ? held.next() : null;
            } else {
                JsonToken token = parser.nextToken();
                if (token == JsonToken.END_ARRAY) {
                    if (parser.nextToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
                        throw new ManifestJson.FormatException("manifest is malformed: something follows its files");
                    }
                    entry = null;
                } else if (token == JsonToken.START_OBJECT) {
                    JsonNode node = parser.readValueAsTree();
                    entry = ManifestJson.file(node);
                } else {
                    throw new ManifestJson.FormatException("manifest is malformed: it ends before its last file");
                }
            }
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new ManifestJson.FormatException("manifest is malformed: " + e.getMessage());
        }
        if (entry == null) {
            finished = true;
            return null;
        }
        if (lastPath != null && PathOrder.compare(entry.path(), lastPath) <= 0) {
            throw new ManifestJson.FormatException("manifest is malformed: file " + entry.path() + " follows " + lastPath
                    + " (files are listed once each, in path order)");
        }
        lastPath = entry.path();
        return entry;
    }

    @Override
    public void close() throws IOException {
        close(input, parser);
    }

    private static void close(InputStream input, JsonParser parser) throws IOException {
        try {
            if (parser != null) {
                parser.close();
            }
        } finally {
            input.close();
        }
    }
}
