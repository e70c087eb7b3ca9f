// tools/common/cli.hpp: what every qforge command-line tool shares: argument parsing with clear messages,
// the error-to-exit-code convention (0 ok, 1 failure, 2 usage error), a progress line on stderr, and
// small formatting helpers.
#pragma once

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "qforge/core/error.hpp"

namespace qforge::tools {

// A bad command line: main prints the message and the usage hint and exits with 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Runs body(); turns every exception into a message on stderr and an exit code.
inline int run_tool(std::string_view tool, const std::function<int()>& body) {
    try {
        return body();
    } catch (const usage_error& e) {
        std::cerr << tool << ": " << e.what() << "\n(run '" << tool << " --help' for usage)\n";
        return 2;
    } catch (const error& e) {
        std::cerr << tool << ": error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << tool << ": error: " << e.what() << "\n";
        return 1;
    }
}

// Command line as a list of words: options are taken out by name, what is left are the positionals.
class args {
public:
    args(int argc, char** argv) {
        for (int i = 1; i < argc; ++i) words_.emplace_back(argv[i]);
    }

    bool flag(std::string_view name) {
        for (std::size_t i = 0; i < words_.size(); ++i)
            if (words_[i] == name) {
                words_.erase(words_.begin() + static_cast<std::ptrdiff_t>(i));
                return true;
            }
        return false;
    }

    // The value of `--name VALUE` or `--name=VALUE` (also a short alias), if given.
    std::optional<std::string> value(std::string_view name, std::string_view alias = {}) {
        for (std::size_t i = 0; i < words_.size(); ++i) {
            const std::string& w = words_[i];
            for (const std::string_view n : {name, alias}) {
                if (n.empty()) continue;
                if (w == n) {
                    if (i + 1 >= words_.size()) throw usage_error("option " + std::string(n) + " needs a value");
                    std::string v = words_[i + 1];
                    words_.erase(words_.begin() + static_cast<std::ptrdiff_t>(i),
                                 words_.begin() + static_cast<std::ptrdiff_t>(i) + 2);
                    return v;
                }
                if (w.size() > n.size() && w.compare(0, n.size(), n) == 0 && w[n.size()] == '=') {
                    std::string v = w.substr(n.size() + 1);
                    words_.erase(words_.begin() + static_cast<std::ptrdiff_t>(i));
                    return v;
                }
            }
        }
        return std::nullopt;
    }

    template <class T>
    std::optional<T> number(std::string_view name, std::string_view alias = {}) {
        const auto v = value(name, alias);
        if (!v) return std::nullopt;
        return parse_number<T>(*v, name);
    }

    // What is left once every option was taken; an unknown option is a usage error.
    std::vector<std::string> positionals() const {
        for (const auto& w : words_)
            if (w.size() > 1 && w[0] == '-' && !is_negative_number(w)) throw usage_error("unknown option '" + w + "'");
        return words_;
    }

    template <class T>
    static T parse_number(const std::string& s, std::string_view what) {
        std::istringstream in(s);
        T v{};
        in >> v;
        if (!in || in.peek() != std::char_traits<char>::eof())
            throw usage_error("option " + std::string(what) + ": '" + s + "' is not a valid number");
        if constexpr (std::is_unsigned_v<T>)
            if (!s.empty() && s[0] == '-') throw usage_error("option " + std::string(what) + ": '" + s + "' is negative");
        return v;
    }

private:
    static bool is_negative_number(const std::string& w) { return w.size() > 1 && w[0] == '-' && std::isdigit(static_cast<unsigned char>(w[1])); }
    std::vector<std::string> words_;
};

// "a,b,c" -> {"a", "b", "c"} (empty items dropped).
inline std::vector<std::string> split_list(std::string_view s, char sep = ',') {
    std::vector<std::string> out;
    std::string cur;
    for (const char c : s) {
        if (c == sep) {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

inline std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// A progress line on stderr ("label: 12/40"), redrawn in place when stderr is a terminal and printed at
// most every few seconds otherwise, so that logs stay short; QFORGE_NO_PROGRESS=1 silences it.
class progress {
public:
    progress(std::string label, std::size_t total)
        : label_(std::move(label)), total_(total), tty_(isatty(2) != 0),
          quiet_(std::getenv("QFORGE_NO_PROGRESS") != nullptr), start_(clock::now()), last_(start_) {}

    void step(std::size_t done, std::string_view item = {}) {
        if (quiet_) return;
        const auto now = clock::now();
        const double since = std::chrono::duration<double>(now - last_).count();
        if (done < total_ && since < (tty_ ? 0.1 : 5.0)) return;
        last_ = now;
        const std::string what(item);
        std::fprintf(stderr, "%s%s: %zu/%zu %s%s", tty_ ? "\r\033[K" : "", label_.c_str(), done, total_, what.c_str(),
                     tty_ ? "" : "\n");
        if (tty_ && done >= total_) std::fputc('\n', stderr);
        std::fflush(stderr);
    }

private:
    using clock = std::chrono::steady_clock;
    std::string label_;
    std::size_t total_;
    bool tty_, quiet_;
    clock::time_point start_, last_;
};

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Fixed-point formatting without iostream state juggling.
inline std::string fixed(double v, int digits) {
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (std::isnan(v)) return "nan";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}
inline std::string sci(double v, int digits = 3) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*e", digits, v);
    return buf;
}

// "1.50 MiB"-style sizes.
inline std::string human_bytes(std::uint64_t n) {
    const char* unit[] = {"B", "KiB", "MiB", "GiB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1024.0 && u < 3) {
        v /= 1024.0;
        ++u;
    }
    return fixed(v, u == 0 ? 0 : 2) + " " + unit[u];
}

} // namespace qforge::tools
