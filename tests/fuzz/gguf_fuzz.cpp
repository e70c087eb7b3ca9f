// libFuzzer target for the GGUF reader: any input must yield either a validated file or a qforge::error,
// never a crash, a sanitizer report or another exception. Accepted inputs are exercised further (typed
// lookups, printing, reading every tensor byte) so that the validated structure is proven safe to use.
// Build and run: see tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <span>
#include <sstream>

#include "qforge/io/gguf.hpp"
#include "qforge/io/gguf_print.hpp"

namespace gg = qforge::gguf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        // libFuzzer's buffer has exactly `size` bytes, so ASan catches any read past the end.
        const auto f = gg::file::parse(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size),
                                       "fuzz.gguf");
        unsigned sum = 0;
        for (const auto& t : f.tensors())
            for (const auto b : t.data) sum += static_cast<unsigned>(b);
        for (const auto& [key, v] : f.metadata()) {
            // A lookup of the right type must succeed, a wrong one must throw qforge::error.
            if (v.holds<std::string>()) sum += static_cast<unsigned>(f.get<std::string_view>(key).size());
            if (v.holds<std::uint32_t>()) sum += f.get<std::uint32_t>(key);
            if (v.holds<gg::array>() && v.as<gg::array>().holds<float>())
                sum += static_cast<unsigned>(f.get<std::span<const float>>(key).size());
            try {
                (void)f.get<std::vector<std::uint64_t>>(key);
            } catch (const qforge::error&) {
            }
        }
        std::ostringstream os;
        gg::print_text(f, os);
        gg::print_json(f, os);
        if (sum == 0xdeadbeefu) os << sum; // keep the reads
    } catch (const qforge::error&) {
    }
    return 0;
}
