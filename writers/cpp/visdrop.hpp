// visdrop.hpp — a header-only C++17 writer for visdrop's drop folder (POSIX).
//
// Mirrors mmengine's LocalVisBackend: open a run, then add_scalar, add_scalars, add_image
// and add_config. Images are contiguous buffers plus a shape, so any tensor library works
// (pass tensor.data_ptr() / array.data() and its sizes). Every file is written under a
// dotfile name and renamed into place; scalar and temporary names carry the process id, the
// thread, a counter and a random number, so processes and threads never collide. A Run is
// safe to use from several threads. Errors throw visdrop::Error saying what failed and where.
//
//   #include "visdrop.hpp"
//   auto run = visdrop::Run::open("drop", "run1");
//   run.add_scalar("loss", 0.25, 100);
//   run.add_scalars({{"acc", 0.9}, {"epoch", 3}}, 100);            // 3 stays an integer
//   run.add_image("sample", pixels.data(), {64, 64, 3}, 100);      // const uint8_t*
//   run.add_config({{"model", visdrop::Object{{"type", "ResNet"}}}, {"lr", 0.02}});
#ifndef VISDROP_HPP
#define VISDROP_HPP

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace visdrop {

/// A failure to write into the drop folder, or a bad argument; what() says what and where.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string &message, int code = 0) : std::runtime_error(message), code_(code) {}
    /// The errno value of a failed system call, 0 for a bad argument.
    int code() const noexcept { return code_; }

private:
    int code_;
};

class Value;
/// A JSON object: keys in insertion order (keys must be unique).
using Object = std::vector<std::pair<std::string, Value>>;
/// A JSON array.
using Array = std::vector<Value>;

/// An integer too large for 64 bits, given as its decimal digits ("-100000000000000000000").
struct BigInteger {
    std::string digits;
};

/// A JSON value that keeps integers and floats apart: C++ integer types become integers,
/// float and double become floats (NaN, Infinity, -Infinity included), as Python's json does.
class Value {
public:
    Value() : data_(nullptr) {}
    Value(std::nullptr_t) : data_(nullptr) {}
    Value(bool value) : data_(value) {}
    Value(int value) : data_(static_cast<long long>(value)) {}
    Value(long value) : data_(static_cast<long long>(value)) {}
    Value(long long value) : data_(value) {}
    Value(unsigned value) : data_(static_cast<unsigned long long>(value)) {}
    Value(unsigned long value) : data_(static_cast<unsigned long long>(value)) {}
    Value(unsigned long long value) : data_(value) {}
    Value(float value) : data_(static_cast<double>(value)) {}
    Value(double value) : data_(value) {}
    Value(const char *value) : data_(std::string(value)) {}
    Value(std::string value) : data_(std::move(value)) {}
    Value(BigInteger value) : data_(std::move(value)) {}
    Value(Array value) : data_(std::move(value)) {}
    Value(Object value) : data_(std::move(value)) {}

    /// Appends this value as JSON text.
    void write_json(std::string &out) const {
        std::visit([&out](const auto &value) { write(out, value); }, data_);
    }

private:
    std::variant<std::nullptr_t, bool, long long, unsigned long long, double, std::string, BigInteger, Array, Object> data_;

    static void write(std::string &out, std::nullptr_t) { out += "null"; }
    static void write(std::string &out, bool value) { out += value ? "true" : "false"; }
    static void write(std::string &out, long long value) { out += std::to_string(value); }
    static void write(std::string &out, unsigned long long value) { out += std::to_string(value); }
    static void write(std::string &out, double value) {
        if (std::isnan(value)) { out += "NaN"; return; }
        if (std::isinf(value)) { out += value > 0 ? "Infinity" : "-Infinity"; return; }
        char text[32];
        auto result = std::to_chars(text, text + sizeof text, value);  // shortest round-trip
        std::string spelled(text, result.ptr);
        if (spelled.find_first_of(".e") == std::string::npos) spelled += ".0";
        out += spelled;
    }
    static void write(std::string &out, const BigInteger &value) {
        const std::string &d = value.digits;
        size_t start = !d.empty() && d[0] == '-' ? 1 : 0;
        if (start == d.size() || d.find_first_not_of("0123456789", start) != std::string::npos ||
            (d[start] == '0' && d.size() > start + 1))
            throw Error("visdrop: BigInteger \"" + d + "\" is not an integer's decimal digits");
        out += d;
    }
    static void write(std::string &out, const std::string &value) { write_string(out, value); }
    static void write(std::string &out, const Array &values) {
        out += '[';
        for (size_t i = 0; i < values.size(); i++) {
            if (i) out += ", ";
            values[i].write_json(out);
        }
        out += ']';
    }
    static void write(std::string &out, const Object &fields) {
        out += '{';
        for (size_t i = 0; i < fields.size(); i++) {
            if (i) out += ", ";
            write_string(out, fields[i].first);
            out += ": ";
            fields[i].second.write_json(out);
        }
        out += '}';
    }

public:
    /// Appends s (UTF-8, checked) as a JSON string.
    static void write_string(std::string &out, const std::string &s) {
        out += '"';
        for (size_t i = 0; i < s.size();) {
            unsigned char c = static_cast<unsigned char>(s[i]);
            if (c < 0x80) {
                if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
                else if (c < 0x20) { char escaped[8]; std::snprintf(escaped, sizeof escaped, "\\u%04x", c); out += escaped; }
                else out += static_cast<char>(c);
                i++;
                continue;
            }
            size_t extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
            unsigned long point = c & (0x3Fu >> extra);
            bool valid = extra > 0 && c < 0xF5 && c != 0xC0 && c != 0xC1 && i + extra < s.size();
            for (size_t k = 1; valid && k <= extra; k++) {
                unsigned char next = static_cast<unsigned char>(s[i + k]);
                if ((next & 0xC0) != 0x80) valid = false;
                else point = point << 6 | (next & 0x3Fu);
            }
            if (valid && ((extra == 2 && (point < 0x800 || (point >= 0xD800 && point <= 0xDFFF))) ||
                          (extra == 3 && (point < 0x10000 || point > 0x10FFFF))))
                valid = false;
            if (!valid) throw Error("visdrop: string is not valid UTF-8: " + s.substr(0, 40));
            out.append(s, i, extra + 1);
            i += extra + 1;
        }
        out += '"';
    }
};

/// Element types of an image.
enum class DType { uint8, uint16, float32, boolean };

namespace detail {
inline std::atomic<unsigned long long> counter{0};

inline const std::string &process_random() {
    static const std::string text = [] {
        std::random_device device;
        char buffer[16];
        std::snprintf(buffer, sizeof buffer, "%08x", static_cast<unsigned>(device()));
        return std::string(buffer);
    }();
    return text;
}

/// "<pid>-<thread>-<counter>-<random>": unique per process, thread and call.
inline std::string unique_name() {
    unsigned long long count = counter.fetch_add(1, std::memory_order_relaxed);
    size_t thread = std::hash<std::thread::id>()(std::this_thread::get_id()) % 1000000007u;
    return std::to_string(static_cast<long long>(getpid())) + "-" + std::to_string(thread) + "-" +
           std::to_string(count) + "-" + process_random();
}

inline bool is_plain_name(const std::string &name) {
    if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
        return false;
    auto ends_with = [&](const char *suffix) {
        size_t n = std::strlen(suffix);
        return name.size() >= n && name.compare(name.size() - n, n, suffix) == 0;
    };
    return !ends_with("~") && !ends_with(".tmp") && !ends_with(".part");
}

inline std::string system_error(const std::string &what, const std::string &path) {
    return "visdrop: " + what + " " + path + ": " + std::strerror(errno);
}
}  // namespace detail

/// An open run: the folder DROP/<run path>, which the agent files into OUT/<run path>.
class Run {
public:
    /// Opens the run `run_path` ("" for the drop folder itself, "a/b" nested) inside the existing
    /// folder `drop_dir`, creating the run's folders (never drop_dir itself).
    static Run open(const std::string &drop_dir, const std::string &run_path) {
        struct stat status;
        if (drop_dir.empty()) throw Error("visdrop: the drop folder is empty");
        if (::stat(drop_dir.c_str(), &status) != 0) throw Error(detail::system_error("drop folder", drop_dir), errno);
        if (!S_ISDIR(status.st_mode)) throw Error("visdrop: drop folder " + drop_dir + " is not a folder", ENOTDIR);
        if (!run_path.empty() && run_path[0] == '/')
            throw Error("visdrop: run path " + run_path + " must be relative to the drop folder");
        std::string directory = drop_dir;
        size_t start = 0;
        while (start < run_path.size()) {
            size_t end = run_path.find('/', start);
            if (end == std::string::npos) end = run_path.size();
            std::string component = run_path.substr(start, end - start);
            if (!detail::is_plain_name(component))
                throw Error("visdrop: run path " + run_path +
                            ": each part must be a plain name (not empty, not starting with '.', not ending in .tmp, .part or ~)");
            directory += "/" + component;
            if (::mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
                throw Error(detail::system_error("cannot create run folder", directory), errno);
            start = end + 1;
        }
        if (::stat(directory.c_str(), &status) != 0 || !S_ISDIR(status.st_mode) ||
            ::access(directory.c_str(), W_OK | X_OK) != 0)
            throw Error(detail::system_error("run folder is not a writable folder:", directory), errno);
        return Run(directory);
    }

    /// The run's folder in the drop tree.
    const std::string &directory() const { return directory_; }

    /// mmengine's add_scalars: appends the record, with "step": step added last unless it has a
    /// "step", to scalars.json and, when file_path is not empty, to file_path (a name ending in
    /// .json, not scalars.json) in the run's output folder.
    void add_scalars(const Object &record, long long step, const std::string &file_path = "") const {
        std::string name = "scalars-" + detail::unique_name();
        if (!file_path.empty()) {
            if (file_path.size() < 6 || file_path.compare(file_path.size() - 5, 5, ".json") != 0 ||
                file_path == "scalars.json" || file_path == "config.json" || !detail::is_plain_name(file_path) ||
                file_path.find('@') != std::string::npos)
                throw Error("visdrop: file_path " + file_path +
                            " must be a plain file name ending in .json (not scalars.json or config.json, no '/' or '@')");
            name += "@" + file_path;
        } else {
            name += ".json";
        }
        bool has_step = false;
        for (const auto &field : record) has_step = has_step || field.first == "step";
        std::string text;
        if (has_step) {
            Value(record).write_json(text);
        } else {
            Object with_step = record;
            with_step.emplace_back("step", step);
            Value(with_step).write_json(text);
        }
        text += '\n';
        drop(name, {{text.data(), text.size()}});
    }

    /// mmengine's add_scalar: {name: value, "step": step}; an integer value stays an integer.
    void add_scalar(const std::string &name, const Value &value, long long step) const {
        add_scalars({{name, value}}, step);
    }

    /// mmengine's add_image: files the contiguous C-order buffer `data` (native byte order) as
    /// vis_image/<name>_<step>.png. shape: (H, W) gray, (H, W, C) or channel-first (C, H, W)
    /// with C = 1, 3 or 4 (gray, RGB, RGBA); a 3-D shape whose last size is 1, 3 or 4 is read
    /// as (H, W, C). byte_count must equal the shape's element count times the dtype's size.
    void add_image(const std::string &name, const void *data, size_t byte_count, const std::vector<size_t> &shape,
                   DType dtype, long long step) const {
        const bool little = [] { const uint16_t one = 1; return *reinterpret_cast<const unsigned char *>(&one) == 1; }();
        const char *descr = "|u1";
        size_t item = 1;
        switch (dtype) {
        case DType::uint8: break;
        case DType::boolean: descr = "|b1"; break;
        case DType::uint16: descr = little ? "<u2" : ">u2"; item = 2; break;
        case DType::float32: descr = little ? "<f4" : ">f4"; item = 4; break;
        }
        if (!detail::is_plain_name(name) || name.size() > 200)
            throw Error("visdrop: image name '" + name + "' must be a plain file name (no '/', not starting with '.')");
        if (step < 0) throw Error("visdrop: image " + name + ": step " + std::to_string(step) + " is negative");
        if (shape.size() != 2 && shape.size() != 3)
            throw Error("visdrop: image " + name + ": " + std::to_string(shape.size()) + " dimensions (2 or 3 wanted)");
        size_t count = 1;
        std::string shape_text = "(";
        for (size_t i = 0; i < shape.size(); i++) {
            if (shape[i] == 0) throw Error("visdrop: image " + name + ": a size of 0 in its shape");
            count *= shape[i];
            shape_text += (i ? ", " : "") + std::to_string(shape[i]);
        }
        shape_text += ")";
        auto is_channels = [](size_t n) { return n == 1 || n == 3 || n == 4; };
        if (shape.size() == 3 && !is_channels(shape[2]) && !is_channels(shape[0]))
            throw Error("visdrop: image " + name + ": shape " + shape_text + " has no channel size 1, 3 or 4 first or last");
        if (count * item != byte_count)
            throw Error("visdrop: image " + name + ": " + std::to_string(byte_count) + " bytes given, shape " + shape_text +
                        " needs " + std::to_string(count * item));
        // NPY 1.0: magic, version, header length (little-endian), dict padded to 64 with spaces + \n.
        std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape_text + ", }";
        size_t padded = (10 + dict.size() + 1 + 63) / 64 * 64;
        std::string header("\x93NUMPY\x01\x00", 8);
        header += static_cast<char>((padded - 10) & 0xff);
        header += static_cast<char>((padded - 10) >> 8);
        header += dict;
        header.append(padded - header.size() - 1, ' ');
        header += '\n';
        drop(name + "_" + std::to_string(step) + ".npy", {{header.data(), header.size()}, {data, byte_count}});
    }

    /// add_image for a uint8 buffer of the shape's size.
    void add_image(const std::string &name, const uint8_t *data, const std::vector<size_t> &shape, long long step) const {
        add_image(name, data, element_count(shape), shape, DType::uint8, step);
    }
    /// add_image for a uint16 buffer (a 16-bit PNG).
    void add_image(const std::string &name, const uint16_t *data, const std::vector<size_t> &shape, long long step) const {
        add_image(name, data, 2 * element_count(shape), shape, DType::uint16, step);
    }
    /// add_image for a float buffer (clamped to [0, 1], x255, rounded half up).
    void add_image(const std::string &name, const float *data, const std::vector<size_t> &shape, long long step) const {
        add_image(name, data, 4 * element_count(shape), shape, DType::float32, step);
    }
    /// add_image for a bool buffer (false 0, true 255).
    void add_image(const std::string &name, const bool *data, const std::vector<size_t> &shape, long long step) const {
        static_assert(sizeof(bool) == 1, "bool must be one byte");
        add_image(name, data, element_count(shape), shape, DType::boolean, step);
    }

    /// mmengine's add_config from a map: dropped as config.json.
    void add_config(const Object &config) const {
        std::string text;
        Value(config).write_json(text);
        text += '\n';
        drop("config.json", {{text.data(), text.size()}});
    }
    /// add_config from JSON text (one object), dropped as config.json as it is.
    void add_config_json(const std::string &json_text) const { drop("config.json", {{json_text.data(), json_text.size()}}); }
    /// add_config from YAML text, dropped as config.yaml as it is.
    void add_config_yaml(const std::string &yaml_text) const { drop("config.yaml", {{yaml_text.data(), yaml_text.size()}}); }

private:
    explicit Run(std::string directory) : directory_(std::move(directory)) {}

    static size_t element_count(const std::vector<size_t> &shape) {
        size_t count = 1;
        for (size_t size : shape) count *= size;
        return count;
    }

    /// Writes the parts under a unique dotfile name in the run folder, then renames it to name.
    void drop(const std::string &name, const std::vector<std::pair<const void *, size_t>> &parts) const {
        std::string temporary = directory_ + "/.visdrop-" + detail::unique_name() + ".tmp";
        std::string final_path = directory_ + "/" + name;
        int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) throw Error(detail::system_error("cannot create", temporary), errno);
        auto fail = [&](const std::string &what, const std::string &path) {
            int code = errno;
            std::string message = detail::system_error(what, path);
            ::unlink(temporary.c_str());
            throw Error(message, code);
        };
        for (const auto &part : parts) {
            const char *bytes = static_cast<const char *>(part.first);
            size_t left = part.second;
            while (left > 0) {
                ssize_t written = ::write(fd, bytes, left);
                if (written < 0 && errno == EINTR) continue;
                if (written < 0) { int code = errno; ::close(fd); errno = code; fail("cannot write", temporary); }
                bytes += written;
                left -= static_cast<size_t>(written);
            }
        }
        if (::close(fd) != 0) fail("cannot close", temporary);
        if (::rename(temporary.c_str(), final_path.c_str()) != 0) fail("cannot rename " + temporary + " to", final_path);
    }

    std::string directory_;
};

}  // namespace visdrop

#endif  // VISDROP_HPP
