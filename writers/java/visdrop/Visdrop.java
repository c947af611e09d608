package visdrop;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A writer for visdrop's drop folder, in one class with the JDK only (Java 17).
 *
 * <p>Mirrors mmengine's {@code LocalVisBackend}: {@link #open} a {@link Run}, then {@code addScalar},
 * {@code addScalars}, {@code addImage} and {@code addConfig}. Every file is written under a dotfile
 * name and renamed into place, so the agent never sees half a file; scalar and temporary names carry
 * the process id, the thread id, a counter and a random number, so processes and threads never
 * collide. A {@code Run} is safe to use from several threads.
 *
 * <pre>{@code
 * Visdrop.Run run = Visdrop.open("drop", "run1");
 * run.addScalar("loss", 0.25, 100);
 * Map<String, Object> record = new LinkedHashMap<>();   // keeps the key order
 * record.put("acc", 0.9);
 * record.put("epoch", 3);                               // stays an integer
 * run.addScalars(record, 100);
 * run.addImage("sample", new byte[64 * 64 * 3], new int[] {64, 64, 3}, 100);
 * }</pre>
 *
 * <p>Values keep integers and floats apart as Python's json does: {@code Integer}, {@code Long},
 * {@code Short}, {@code Byte} and {@code BigInteger} become integers; {@code Double}, {@code Float}
 * and {@code BigDecimal} floats (NaN, Infinity and -Infinity included). Maps become objects in
 * their iteration order (use a {@code LinkedHashMap}), lists and arrays arrays. File-system
 * failures throw {@link IOException} naming the path; bad arguments {@link IllegalArgumentException}.
 */
public final class Visdrop {
    private static final AtomicLong COUNTER = new AtomicLong();
    private static final String PROCESS_RANDOM = String.format("%08x", new SecureRandom().nextInt());

    private Visdrop() {}

    /**
     * Opens the run {@code runPath} ({@code ""} for the drop folder itself, {@code "a/b"} nested)
     * inside the existing folder {@code dropDir}, creating the run's folders (never dropDir itself).
     */
    public static Run open(Path dropDir, String runPath) throws IOException {
        if (!Files.exists(dropDir)) throw new NoSuchFileException(dropDir.toString(), null, "visdrop: the drop folder does not exist");
        if (!Files.isDirectory(dropDir)) throw new NotDirectoryException("visdrop: drop folder " + dropDir + " is not a folder");
        if (runPath.startsWith("/")) throw new IllegalArgumentException("visdrop: run path " + runPath + " must be relative to the drop folder");
        Path directory = dropDir;
        if (!runPath.isEmpty()) {
            for (String component : runPath.split("/", -1)) {
                if (!isPlainName(component)) {
                    throw new IllegalArgumentException("visdrop: run path " + runPath
                            + ": each part must be a plain name (not empty, not starting with '.', not ending in .tmp, .part or ~)");
                }
                directory = directory.resolve(component);
                try {
                    Files.createDirectory(directory);
                } catch (FileAlreadyExistsException exists) {
                    if (!Files.isDirectory(directory)) throw new NotDirectoryException("visdrop: run folder " + directory + " is not a folder");
                }
            }
        }
        if (!Files.isWritable(directory)) throw new IOException("visdrop: run folder " + directory + " is not writable");
        return new Run(directory);
    }

    /** {@link #open(Path, String)} with the drop folder as a string. */
    public static Run open(String dropDir, String runPath) throws IOException {
        return open(Paths.get(dropDir), runPath);
    }

    /** An open run: the folder DROP/&lt;run path&gt;, which the agent files into OUT/&lt;run path&gt;. */
    public static final class Run {
        private final Path directory;

        private Run(Path directory) {
            this.directory = directory;
        }

        /** The run's folder in the drop tree. */
        public Path directory() {
            return directory;
        }

        /**
         * mmengine's {@code add_scalars}: appends the record, with {@code "step": step} added last
         * unless it has a "step", to scalars.json and, when {@code filePath} is not null, to that
         * file (a name ending in .json, not scalars.json) in the run's output folder.
         */
        public void addScalars(Map<String, ?> record, long step, String filePath) throws IOException {
            String name = "scalars-" + uniqueName();
            if (filePath != null) {
                if (!filePath.endsWith(".json") || filePath.length() < 6 || filePath.equals("scalars.json")
                        || filePath.equals("config.json") || !isPlainName(filePath) || filePath.contains("@")) {
                    throw new IllegalArgumentException("visdrop: file_path " + filePath
                            + " must be a plain file name ending in .json (not scalars.json or config.json, no '/' or '@')");
                }
                name += "@" + filePath;
            } else {
                name += ".json";
            }
            StringBuilder text = new StringBuilder();
            writeObject(text, record, record.containsKey("step") ? null : step, 0);
            text.append('\n');
            drop(name, text.toString().getBytes(StandardCharsets.UTF_8));
        }

        /** {@link #addScalars(Map, long, String)} without a second file. */
        public void addScalars(Map<String, ?> record, long step) throws IOException {
            addScalars(record, step, null);
        }

        /** mmengine's {@code add_scalar} with a float value: {@code {name: value, "step": step}}. */
        public void addScalar(String name, double value, long step) throws IOException {
            addScalars(Map.of(name, value), step, null);
        }

        /** {@code add_scalar} with an integer value. */
        public void addScalar(String name, long value, long step) throws IOException {
            addScalars(Map.of(name, value), step, null);
        }

        /** {@code add_scalar} with any value (a {@code BigInteger}, a {@code Float}, a map ...). */
        public void addScalar(String name, Object value, long step) throws IOException {
            java.util.LinkedHashMap<String, Object> record = new java.util.LinkedHashMap<>();
            record.put(name, value);
            addScalars(record, step, null);
        }

        /**
         * mmengine's {@code add_image} for uint8 samples (C order) as vis_image/&lt;name&gt;_&lt;step&gt;.png.
         * shape: (H, W) gray, (H, W, C) or channel-first (C, H, W) with C = 1, 3 or 4 (gray, RGB, RGBA);
         * a 3-D shape whose last size is 1, 3 or 4 is read as (H, W, C).
         */
        public void addImage(String name, byte[] data, int[] shape, long step) throws IOException {
            writeImage(name, "|u1", data.length, shape, step, ByteBuffer.wrap(data));
        }

        /** {@code addImage} for uint16 samples (the short's 16 bits, unsigned): a 16-bit PNG. */
        public void addImage(String name, short[] data, int[] shape, long step) throws IOException {
            ByteBuffer bytes = ByteBuffer.allocate(2 * data.length).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asShortBuffer().put(data);
            writeImage(name, "<u2", data.length, shape, step, bytes);
        }

        /** {@code addImage} for float32 samples: clamped to [0, 1], x255, rounded half up. */
        public void addImage(String name, float[] data, int[] shape, long step) throws IOException {
            ByteBuffer bytes = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(data);
            writeImage(name, "<f4", data.length, shape, step, bytes);
        }

        /** {@code addImage} for bool samples: false 0, true 255. */
        public void addImage(String name, boolean[] data, int[] shape, long step) throws IOException {
            byte[] bytes = new byte[data.length];
            for (int i = 0; i < data.length; i++) bytes[i] = (byte) (data[i] ? 1 : 0);
            writeImage(name, "|b1", data.length, shape, step, ByteBuffer.wrap(bytes));
        }

        /** mmengine's {@code add_config} from a map: dropped as config.json. */
        public void addConfig(Map<String, ?> config) throws IOException {
            StringBuilder text = new StringBuilder();
            writeObject(text, config, null, 0);
            text.append('\n');
            drop("config.json", text.toString().getBytes(StandardCharsets.UTF_8));
        }

        /** {@code add_config} from JSON text (one object), dropped as config.json as it is. */
        public void addConfigJson(String jsonText) throws IOException {
            drop("config.json", jsonText.getBytes(StandardCharsets.UTF_8));
        }

        /** {@code add_config} from YAML text, dropped as config.yaml as it is. */
        public void addConfigYaml(String yamlText) throws IOException {
            drop("config.yaml", yamlText.getBytes(StandardCharsets.UTF_8));
        }

        private void writeImage(String name, String descr, int length, int[] shape, long step, ByteBuffer samples) throws IOException {
            if (!isPlainName(name) || name.length() > 200) {
                throw new IllegalArgumentException("visdrop: image name '" + name + "' must be a plain file name (no '/', not starting with '.')");
            }
            if (step < 0) throw new IllegalArgumentException("visdrop: image " + name + ": step " + step + " is negative");
            StringBuilder shapeText = new StringBuilder("(");
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shapeText.append(i > 0 ? ", " : "").append(shape[i]);
                count *= shape[i];
            }
            shapeText.append(")");
            if (shape.length != 2 && shape.length != 3) {
                throw new IllegalArgumentException("visdrop: image " + name + ": shape " + shapeText + " has " + shape.length + " dimensions (2 or 3 wanted)");
            }
            for (int size : shape) {
                if (size <= 0) throw new IllegalArgumentException("visdrop: image " + name + ": shape " + shapeText + " has a size below 1");
            }
            if (shape.length == 3 && !isChannels(shape[2]) && !isChannels(shape[0])) {
                throw new IllegalArgumentException("visdrop: image " + name + ": shape " + shapeText + " has no channel size 1, 3 or 4 first or last");
            }
            if (count != length) {
                throw new IllegalArgumentException("visdrop: image " + name + ": " + length + " elements given, shape " + shapeText + " needs " + count);
            }
            // NPY 1.0: magic, version, header length (little-endian), dict padded to 64 with spaces + \n.
            String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
            int padded = (10 + dict.length() + 1 + 63) / 64 * 64;
            ByteBuffer file = ByteBuffer.allocate(padded + samples.remaining()).order(ByteOrder.LITTLE_ENDIAN);
            file.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
            file.putShort((short) (padded - 10));
            file.put(dict.getBytes(StandardCharsets.US_ASCII));
            while (file.position() < padded - 1) file.put((byte) ' ');
            file.put((byte) '\n');
            file.put(samples);
            drop(name + "_" + step + ".npy", file.array());
        }

        /** Writes contents under a unique dotfile name in the run folder, then renames it to name. */
        private void drop(String name, byte[] contents) throws IOException {
            Path temporary = directory.resolve(".visdrop-" + uniqueName() + ".tmp");
            Files.write(temporary, contents, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                Files.move(temporary, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException error) {
                Files.deleteIfExists(temporary);
                throw error;
            }
        }
    }

    private static boolean isChannels(int size) {
        return size == 1 || size == 3 || size == 4;
    }

    /** A name the agent files: not empty, no '/', not a dotfile, not work in progress. */
    private static boolean isPlainName(String name) {
        return !name.isEmpty() && !name.startsWith(".") && name.indexOf('/') < 0 && name.indexOf('\0') < 0
                && !name.endsWith("~") && !name.endsWith(".tmp") && !name.endsWith(".part");
    }

    /** "&lt;pid&gt;-&lt;thread&gt;-&lt;counter&gt;-&lt;random&gt;": unique per process, thread and call. */
    private static String uniqueName() {
        return ProcessHandle.current().pid() + "-" + Thread.currentThread().getId() + "-" + COUNTER.getAndIncrement() + "-" + PROCESS_RANDOM;
    }

    /** A double as JSON text that reads back to the same double, always with '.' or an exponent. */
    static String floatText(double value) {
        if (Double.isNaN(value)) return "NaN";
        if (Double.isInfinite(value)) return value > 0 ? "Infinity" : "-Infinity";
        String text = Double.toString(value);  // "1.0E16": valid JSON
        if (Double.parseDouble(text) != value) text = String.format(Locale.ROOT, "%.16e", value);  // 17 digits
        return text;
    }

    private static void writeString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20 || c >= 0x7f) out.append(String.format("\\u%04x", (int) c));  // UTF-16 units, as Python
            else out.append(c);
        }
        out.append('"');
    }

    private static void writeObject(StringBuilder out, Map<?, ?> map, Long step, int depth) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!(entry.getKey() instanceof String)) {
                throw new IllegalArgumentException("visdrop: map keys must be strings, not " + entry.getKey());
            }
            if (!first) out.append(", ");
            first = false;
            writeString(out, (String) entry.getKey());
            out.append(": ");
            writeValue(out, entry.getValue(), depth + 1);
        }
        if (step != null) out.append(first ? "" : ", ").append("\"step\": ").append(step.longValue());
        out.append('}');
    }

    private static void writeValue(StringBuilder out, Object value, int depth) {
        if (depth > 500) throw new IllegalArgumentException("visdrop: values nest more than 500 deep");
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof BigInteger || value instanceof AtomicInteger || value instanceof AtomicLong) {
            out.append(value);
        } else if (value instanceof Double || value instanceof Float) {
            out.append(floatText(((Number) value).doubleValue()));
        } else if (value instanceof BigDecimal) {
            out.append(floatText(((BigDecimal) value).doubleValue()));
        } else if (value instanceof CharSequence || value instanceof Character) {
            writeString(out, value.toString());
        } else if (value instanceof Map) {
            writeObject(out, (Map<?, ?>) value, null, depth);
        } else if (value instanceof Iterable) {
            out.append('[');
            boolean first = true;
            for (Object element : (Iterable<?>) value) {
                if (!first) out.append(", ");
                first = false;
                writeValue(out, element, depth + 1);
            }
            out.append(']');
        } else if (value.getClass().isArray()) {
            out.append('[');
            int length = java.lang.reflect.Array.getLength(value);
            for (int i = 0; i < length; i++) {
                if (i > 0) out.append(", ");
                writeValue(out, java.lang.reflect.Array.get(value, i), depth + 1);
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("visdrop: cannot write a " + value.getClass().getName() + " as JSON");
        }
    }
}
