// The harness's scripted sequence for the C++ writer (writers/tests/run_writer_tests.py).
// Modes: sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES
#include "../../cpp/visdrop.hpp"

#include <chrono>
#include <cstdio>
#include <limits>
#include <sys/stat.h>

using visdrop::Array;
using visdrop::BigInteger;
using visdrop::Object;

static void sequence(const std::string &drop, const std::string &run_name) {
    auto run = visdrop::Run::open(drop, run_name);
    run.add_config({{"model", Object{{"type", "ResNet"}, {"depth", 50},
                                     {"norm_cfg", Object{{"type", "BN"}, {"eps", 1e-05}, {"requires_grad", true}}}}},
                    {"optimizer", Object{{"lr", 0.02}, {"momentum", 0.9}, {"weight_decay", 0.0001}}},
                    {"max_epochs", 12},
                    {"scale", 1.0},
                    {"flags", Array{true, false, nullptr}},
                    {"name", "run α"}});
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    run.add_scalar("loss", 0.5, 1);
    run.add_scalar("count", 1, 2);
    run.add_scalar("ratio", 1.0, 3);
    run.add_scalar("nan", nan, 4);
    run.add_scalar("inf", inf, 5);
    run.add_scalar("ninf", -inf, 6);
    run.add_scalar("small", 1e-5, 7);
    run.add_scalar("negzero", -0.0, 8);
    run.add_scalar("big", 1e16, 9);
    run.add_scalar("tiny", 5e-324, 10);
    run.add_scalar("third", 0.1 + 0.2, 11);
    run.add_scalar("bigstep", 3, 1099511627776LL);
    run.add_scalars({{"train/loss", 0.25}, {"train/acc", 1}, {"lr", 0.001}}, 12);
    run.add_scalars({{"a", 1.5}, {"step", 99}}, 13);
    run.add_scalars({{"bigint", BigInteger{"18446744073709551617"}},
                     {"negbig", std::numeric_limits<long long>::min()},
                     {"maxu64", std::numeric_limits<unsigned long long>::max()},
                     {"huge", BigInteger{"1000000000000000000000000000000"}}},
                    14);
    run.add_scalars({{"nested", Object{{"inner", Object{{"x", 1}, {"y", 2.5}}},
                                       {"list", Array{1, 2.0, nullptr, true, false, "s"}}}},
                     {"text", "naïve \"q\" \\ \n\t\x01 ключ 😀"},
                     {"flag", true},
                     {"none", nullptr}},
                    15);
    run.add_scalars({{"val/acc", 0.91}, {"val/f1", 1.0}}, 16, "val.json");
    run.add_scalars({{"val/acc", nan}, {"epoch", 2}, {"max", 1.7976931348623157e308}}, 17, "val.json");
    run.add_scalar("last", -2.5e-300, 18);
    run.add_scalars({}, 19);
    run.add_scalars({{"e21", 1e21}, {"em7", 1e-7}, {"f32", 0.1f}}, 20);

    const char *layouts[7] = {"hw", "hw1", "hw3", "hw4", "c1hw", "c3hw", "c4hw"};
    const std::vector<size_t> shapes[7] = {{5, 6}, {5, 6, 1}, {5, 6, 3}, {5, 6, 4}, {1, 5, 6}, {3, 5, 6}, {4, 5, 6}};
    int step = 0;
    for (const char *dtype : {"uint8", "uint16", "float32", "bool"}) {
        for (int layout = 0; layout < 7; layout++, step++) {
            size_t count = 1;
            for (size_t size : shapes[layout]) count *= size;
            std::vector<uint8_t> bytes(count);
            std::vector<uint16_t> words(count);
            std::vector<float> floats(count);
            bool flags[120];
            for (size_t i = 0; i < count; i++) {
                bytes[i] = static_cast<uint8_t>((i * 37 + 11) % 256);
                words[i] = static_cast<uint16_t>((i * 4099 + 7) % 65536);
                floats[i] = i % 13 == 5 ? std::numeric_limits<float>::quiet_NaN()
                                        : static_cast<float>(static_cast<double>((i * 37) % 101) / 80.0 - 0.1);
                flags[i] = i % 3 == 0 || i % 7 == 1;
            }
            std::string name = std::string(dtype) + "_" + layouts[layout];
            std::string kind = dtype;
            if (kind == "uint8") run.add_image(name, bytes.data(), shapes[layout], step);
            else if (kind == "uint16") run.add_image(name, words.data(), shapes[layout], step);
            else if (kind == "float32") run.add_image(name, floats.data(), shapes[layout], step);
            else run.add_image(name, flags, shapes[layout], step);
        }
    }
    visdrop::Run::open(drop, run_name + "-yaml")
        .add_config_yaml("model:\n  type: ResNet\n  depth: 50\nlr: 0.02\nsteps: [8, 11]\nname: yaml run\n");
    visdrop::Run::open(drop, run_name + "-jsontext")
        .add_config_json(R"({"work_dir": "./work", "seed": 42, "ratio": 0.5, "list": [1, 2.5, "x"]})");
}

template <typename Call> static bool fails(const char *check, Call call) {
    try {
        call();
    } catch (const visdrop::Error &error) {
        std::fprintf(stderr, "%s: %s\n", check, error.what());
        return true;
    }
    std::printf("FAIL %s: no error reported\n", check);
    return false;
}

static int errors(const std::string &scratch) {
    int failed = 0;
    auto report = [&](const char *check, bool ok) {
        if (ok) std::printf("ok %s\n", check);
        else failed = 1;
    };
    struct stat status;
    bool missing_ok = fails("missing_drop", [&] { visdrop::Run::open(scratch + "/missing", "r"); });
    if (::stat((scratch + "/missing").c_str(), &status) == 0) std::printf("FAIL missing_drop: created\n"), missing_ok = false;
    report("missing_drop", missing_ok);
    report("drop_is_file", fails("drop_is_file", [&] { visdrop::Run::open(scratch + "/plain-file", "r"); }));
    report("readonly_drop", fails("readonly_drop", [&] { visdrop::Run::open(scratch + "/readonly", "r").add_scalar("x", 1.0, 0); }));
    auto run = visdrop::Run::open(scratch + "/good", "r");
    Object record{{"x", 1.0}};
    report("bad_file_path", fails("bad_file_path", [&] { run.add_scalars(record, 0, "val.txt"); }) &&
                                fails("bad_file_path", [&] { run.add_scalars(record, 0, "scalars.json"); }) &&
                                fails("bad_file_path", [&] { run.add_scalars(record, 0, "a/b.json"); }));
    std::vector<uint8_t> pixels(60);
    report("bad_image", fails("bad_image", [&] { run.add_image("x", pixels.data(), {5, 6, 2}, 0); }) &&
                            fails("bad_image", [&] { run.add_image("x", pixels.data(), 59, {5, 6}, visdrop::DType::uint8, 0); }) &&
                            fails("bad_image", [&] { run.add_image("../x", pixels.data(), {5, 6}, 0); }));
    auto vanishing = visdrop::Run::open(scratch + "/good", "r2");
    ::rmdir((scratch + "/good/r2").c_str());
    report("vanished_run", fails("vanished_run", [&] { vanishing.add_scalar("x", 1.0, 0); }));
    return failed;
}

static void concurrent(const std::string &drop, const std::string &run_name, int writer, int count) {
    auto run = visdrop::Run::open(drop, run_name);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; t++)
        threads.emplace_back([&run, writer, count, t] {
            for (int i = 0; i < count; i++)
                run.add_scalars({{"writer", writer}, {"thread", t}, {"i", i}}, i, i % 5 == 0 ? "every5.json" : "");
        });
    for (auto &thread : threads) thread.join();
}

static void bench(const std::string &drop, const std::string &run_name, int records, int images) {
    auto run = visdrop::Run::open(drop, run_name);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < records; i++) run.add_scalars({{"loss", 0.25}, {"acc", 0.5}}, i);
    std::chrono::duration<double> record_time = std::chrono::steady_clock::now() - start;
    std::vector<uint8_t> pixels(64 * 64 * 3);
    for (size_t i = 0; i < pixels.size(); i++) pixels[i] = static_cast<uint8_t>(i * 7);
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < images; i++) run.add_image("bench", pixels.data(), {64, 64, 3}, i);
    std::chrono::duration<double> image_time = std::chrono::steady_clock::now() - start;
    std::printf("bench records_per_s=%.1f images_per_s=%.1f\n", records / record_time.count(), images / image_time.count());
}

int main(int argc, char **argv) {
    std::vector<std::string> a(argv, argv + argc);
    try {
        if (argc >= 4 && a[1] == "sequence") sequence(a[2], a[3]);
        else if (argc >= 3 && a[1] == "errors") return errors(a[2]);
        else if (argc >= 6 && a[1] == "concurrent") concurrent(a[2], a[3], std::stoi(a[4]), std::stoi(a[5]));
        else if (argc >= 6 && a[1] == "bench") bench(a[2], a[3], std::stoi(a[4]), std::stoi(a[5]));
        else {
            std::fprintf(stderr, "usage: %s sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES\n", argv[0]);
            return 64;
        }
    } catch (const visdrop::Error &error) {
        std::fprintf(stderr, "%s\n", error.what());
        return 1;
    }
    return 0;
}
