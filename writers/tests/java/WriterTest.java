// The harness's scripted sequence for the Java writer (writers/tests/run_writer_tests.py).
// Modes: sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import visdrop.Visdrop;

public final class WriterTest {
    /** An ordered map from alternating keys and values. */
    static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return map;
    }

    static void sequence(String drop, String runName) throws IOException {
        Visdrop.Run run = Visdrop.open(drop, runName);
        run.addConfig(map(
                "model", map("type", "ResNet", "depth", 50, "norm_cfg", map("type", "BN", "eps", 1e-05, "requires_grad", true)),
                "optimizer", map("lr", 0.02, "momentum", 0.9, "weight_decay", 0.0001),
                "max_epochs", 12,
                "scale", 1.0,
                "flags", Arrays.asList(true, false, null),
                "name", "run α"));
        run.addScalar("loss", 0.5, 1);
        run.addScalar("count", 1, 2);
        run.addScalar("ratio", 1.0, 3);
        run.addScalar("nan", Double.NaN, 4);
        run.addScalar("inf", Double.POSITIVE_INFINITY, 5);
        run.addScalar("ninf", Double.NEGATIVE_INFINITY, 6);
        run.addScalar("small", 1e-5, 7);
        run.addScalar("negzero", -0.0, 8);
        run.addScalar("big", 1e16, 9);
        run.addScalar("tiny", 5e-324, 10);
        run.addScalar("third", 0.1 + 0.2, 11);
        run.addScalar("bigstep", 3, 1099511627776L);
        run.addScalars(map("train/loss", 0.25, "train/acc", 1, "lr", 0.001), 12);
        run.addScalars(map("a", 1.5, "step", 99), 13);
        run.addScalars(map("bigint", new BigInteger("18446744073709551617"), "negbig", Long.MIN_VALUE,
                "maxu64", new BigInteger("18446744073709551615"), "huge", BigInteger.TEN.pow(30)), 14);
        run.addScalars(map(
                "nested", map("inner", map("x", 1, "y", 2.5), "list", Arrays.asList(1, 2.0, null, true, false, "s")),
                "text", "naïve \"q\" \\ \n\t\u0001 ключ \uD83D\uDE00",
                "flag", true,
                "none", null), 15);
        run.addScalars(map("val/acc", 0.91, "val/f1", 1.0), 16, "val.json");
        run.addScalars(map("val/acc", Double.NaN, "epoch", 2, "max", 1.7976931348623157e308), 17, "val.json");
        run.addScalar("last", -2.5e-300, 18);
        run.addScalars(map(), 19);
        run.addScalars(map("e21", 1e21, "em7", 1e-7, "f32", 0.1f), 20);

        String[] layouts = {"hw", "hw1", "hw3", "hw4", "c1hw", "c3hw", "c4hw"};
        int[][] shapes = {{5, 6}, {5, 6, 1}, {5, 6, 3}, {5, 6, 4}, {1, 5, 6}, {3, 5, 6}, {4, 5, 6}};
        int step = 0;
        for (String dtype : new String[] {"uint8", "uint16", "float32", "bool"}) {
            for (int layout = 0; layout < layouts.length; layout++, step++) {
                int[] shape = shapes[layout];
                int count = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
                String name = dtype + "_" + layouts[layout];
                switch (dtype) {
                    case "uint8": {
                        byte[] v = new byte[count];
                        for (int i = 0; i < count; i++) v[i] = (byte) ((i * 37 + 11) % 256);
                        run.addImage(name, v, shape, step);
                        break;
                    }
                    case "uint16": {
                        short[] v = new short[count];
                        for (int i = 0; i < count; i++) v[i] = (short) ((i * 4099 + 7) % 65536);
                        run.addImage(name, v, shape, step);
                        break;
                    }
                    case "float32": {
                        float[] v = new float[count];
                        for (int i = 0; i < count; i++) v[i] = i % 13 == 5 ? Float.NaN : (float) (((i * 37) % 101) / 80.0 - 0.1);
                        run.addImage(name, v, shape, step);
                        break;
                    }
                    default: {
                        boolean[] v = new boolean[count];
                        for (int i = 0; i < count; i++) v[i] = i % 3 == 0 || i % 7 == 1;
                        run.addImage(name, v, shape, step);
                    }
                }
            }
        }
        Visdrop.open(drop, runName + "-yaml").addConfigYaml("model:\n  type: ResNet\n  depth: 50\nlr: 0.02\nsteps: [8, 11]\nname: yaml run\n");
        Visdrop.open(drop, runName + "-jsontext").addConfigJson("{\"work_dir\": \"./work\", \"seed\": 42, \"ratio\": 0.5, \"list\": [1, 2.5, \"x\"]}");
    }

    interface Call {
        void run() throws Exception;
    }

    static boolean fails(String check, Call call) {
        try {
            call.run();
        } catch (Exception error) {
            System.err.println(check + ": " + error);
            return true;
        }
        System.out.println("FAIL " + check + ": no error reported");
        return false;
    }

    static int failed = 0;

    static void report(String check, boolean ok) {
        if (ok) System.out.println("ok " + check);
        else failed = 1;
    }

    static int errors(String scratch) throws IOException {
        boolean ok = fails("missing_drop", () -> Visdrop.open(scratch + "/missing", "r"));
        if (Files.exists(Paths.get(scratch, "missing"))) {
            System.out.println("FAIL missing_drop: created");
            ok = false;
        }
        report("missing_drop", ok);
        report("drop_is_file", fails("drop_is_file", () -> Visdrop.open(scratch + "/plain-file", "r")));
        report("readonly_drop", fails("readonly_drop", () -> Visdrop.open(scratch + "/readonly", "r").addScalar("x", 1.0, 0)));
        Visdrop.Run run = Visdrop.open(scratch + "/good", "r");
        Map<String, Object> record = map("x", 1.0);
        report("bad_file_path", fails("bad_file_path", () -> run.addScalars(record, 0, "val.txt"))
                & fails("bad_file_path", () -> run.addScalars(record, 0, "scalars.json"))
                & fails("bad_file_path", () -> run.addScalars(record, 0, "a/b.json")));
        report("bad_image", fails("bad_image", () -> run.addImage("x", new byte[60], new int[] {5, 6, 2}, 0))
                & fails("bad_image", () -> run.addImage("x", new byte[59], new int[] {5, 6}, 0))
                & fails("bad_image", () -> run.addImage("../x", new byte[30], new int[] {5, 6}, 0)));
        Visdrop.Run vanishing = Visdrop.open(scratch + "/good", "r2");
        Files.delete(Paths.get(scratch, "good", "r2"));
        report("vanished_run", fails("vanished_run", () -> vanishing.addScalar("x", 1.0, 0)));
        return failed;
    }

    static void concurrent(String drop, String runName, int writer, int count) throws Exception {
        Visdrop.Run run = Visdrop.open(drop, runName);
        Exception[] problems = new Exception[2];
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            final int thread = t;
            threads[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < count; i++) {
                        run.addScalars(map("writer", writer, "thread", thread, "i", i), i, i % 5 == 0 ? "every5.json" : null);
                    }
                } catch (Exception error) {
                    problems[thread] = error;
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) thread.join();
        for (Exception problem : problems) if (problem != null) throw problem;
    }

    static void bench(String drop, String runName, int records, int images) throws IOException {
        Visdrop.Run run = Visdrop.open(drop, runName);
        long start = System.nanoTime();
        for (int i = 0; i < records; i++) run.addScalars(map("loss", 0.25, "acc", 0.5), i);
        double recordSeconds = (System.nanoTime() - start) / 1e9;
        byte[] pixels = new byte[64 * 64 * 3];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) (i * 7);
        start = System.nanoTime();
        for (int i = 0; i < images; i++) run.addImage("bench", pixels, new int[] {64, 64, 3}, i);
        double imageSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(java.util.Locale.ROOT, "bench records_per_s=%.1f images_per_s=%.1f%n", records / recordSeconds, images / imageSeconds);
    }

    public static void main(String[] a) throws Exception {
        if (a.length >= 3 && a[0].equals("sequence")) sequence(a[1], a[2]);
        else if (a.length >= 2 && a[0].equals("errors")) System.exit(errors(a[1]));
        else if (a.length >= 5 && a[0].equals("concurrent")) concurrent(a[1], a[2], Integer.parseInt(a[3]), Integer.parseInt(a[4]));
        else if (a.length >= 5 && a[0].equals("bench")) bench(a[1], a[2], Integer.parseInt(a[3]), Integer.parseInt(a[4]));
        else {
            System.err.println("usage: WriterTest sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES");
            System.exit(64);
        }
    }
}
