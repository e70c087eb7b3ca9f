// Interop with the reference implementation, gguf-py (the `gguf` package on PyPI): it reads what our writer
// writes, we read what its writer writes, and both readers see the same structure in every shared model.
// Needs QFORGE_PYTHON with `gguf` and numpy; skips with a message without them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "qforge/block/q8_0.hpp"
#include "qforge/io/gguf.hpp"
#include "qforge/io/gguf_print.hpp"
#include "qforge/io/gguf_writer.hpp"

#include "io/gguf_test_files.hpp"
#include "support/golden.hpp"

namespace gg = qforge::gguf;

namespace {

struct run_result {
    int status = -1;
    std::string out;
};

// Runs a shell command, capturing stdout (stderr goes to the test log).
run_result run(const std::string& cmd) {
    run_result r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    r.status = ::pclose(p);
    return r;
}

std::string quote(const std::string& s) { return "'" + s + "'"; } // our paths contain no quotes

std::string python() { return QFORGE_PYTHON; }
std::string script(const std::string& name) { return std::string(QFORGE_SOURCE_DIR) + "/tests/io/python/" + name; }

// Empty when python with gguf and numpy is usable, else why not.
std::string python_missing() {
    if (!std::filesystem::exists(python())) return "QFORGE_PYTHON=" + python() + " does not exist";
    if (run(quote(python()) + " -c 'import gguf, numpy' 2>&1").status != 0)
        return python() + " cannot import gguf and numpy (scripts/setup installs them)";
    return {};
}

#define REQUIRE_PYTHON()                                                                                 \
    do {                                                                                                 \
        if (const auto why = python_missing(); !why.empty()) GTEST_SKIP() << why;                        \
    } while (0)

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() / ("qforge_py_" + std::to_string(::getpid()) + "_" + name);
}

std::string hex(std::span<const std::byte> b) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    for (const auto x : b) {
        s += digits[static_cast<unsigned>(x) >> 4];
        s += digits[static_cast<unsigned>(x) & 15];
    }
    return s;
}

std::string join_dims(std::span<const std::uint64_t> dims) {
    std::string s;
    for (const auto d : dims) {
        if (!s.empty()) s += ',';
        s += std::to_string(d);
    }
    return s;
}

} // namespace

TEST(GgufPython, ReferenceReaderReadsOurFile) {
    REQUIRE_PYTHON();
    const auto path = temp_path("ours.gguf");
    qforge_test::rich_writer().write(path);
    const auto r = run(quote(python()) + " " + quote(script("check_ours.py")) + " " + quote(path.string()));
    EXPECT_EQ(r.status, 0) << "gguf-py disagreed with our file (see MISMATCH lines above)\n" << r.out;
    // gguf-py's view of each tensor: name, type, shape, offset and bytes, exactly what we wrote.
    const auto f = gg::open(path);
    std::string want;
    for (const auto& t : f.tensors())
        want += "tensor " + t.name + " " + std::to_string(t.type_id) + " " + join_dims(t.dims()) + " " +
                std::to_string(t.file_offset) + " " + hex(t.data) + "\n";
    EXPECT_EQ(r.out, want);
    std::filesystem::remove(path);
}

TEST(GgufPython, WeReadReferenceWriterFile) {
    REQUIRE_PYTHON();
    const auto path = temp_path("theirs.gguf");
    ASSERT_EQ(run(quote(python()) + " " + quote(script("write_theirs.py")) + " " + quote(path.string())).status, 0);
    const auto f = gg::open(path);
    std::filesystem::remove(path);
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.alignment(), 32u);
    EXPECT_EQ(f.get<std::string>("general.architecture"), "testarch");
    EXPECT_EQ(f.get<std::uint8_t>("py.u8"), 250);
    EXPECT_EQ(f.get<std::int8_t>("py.i8"), -7);
    EXPECT_EQ(f.get<std::uint16_t>("py.u16"), 65000);
    EXPECT_EQ(f.get<std::int16_t>("py.i16"), -32000);
    EXPECT_EQ(f.get<std::uint32_t>("py.u32"), 3000000000u);
    EXPECT_EQ(f.get<std::int32_t>("py.i32"), -123456789);
    EXPECT_EQ(f.get<float>("py.f32"), -0.125f);
    EXPECT_EQ(f.get<std::uint64_t>("py.u64"), (1ull << 63) + 11);
    EXPECT_EQ(f.get<std::int64_t>("py.i64"), -(1ll << 62) - 3);
    EXPECT_EQ(f.get<double>("py.f64"), 2.718281828459045);
    EXPECT_TRUE(f.get<bool>("py.bool"));
    EXPECT_EQ(f.get<std::string>("py.string"), "ünïcode ✓");
    EXPECT_EQ(f.get<std::vector<std::uint8_t>>("py.arr_u8"), (std::vector<std::uint8_t>{1, 2, 3}));
    EXPECT_EQ(f.get<std::vector<std::int16_t>>("py.arr_i16"), (std::vector<std::int16_t>{-5, 5}));
    EXPECT_EQ(f.get<std::vector<std::uint64_t>>("py.arr_u64"), (std::vector<std::uint64_t>{~0ull, 0}));
    EXPECT_EQ(f.get<std::vector<double>>("py.arr_f64"), (std::vector<double>{0.1, 0.2}));
    EXPECT_EQ(f.get<std::vector<std::int32_t>>("py.arr_i32"), (std::vector<std::int32_t>{10, -20, 30}));
    EXPECT_EQ(f.get<std::vector<float>>("py.arr_f32"), (std::vector<float>{1.5f, 2.5f}));
    EXPECT_EQ(f.get<std::vector<bool>>("py.arr_bool"), (std::vector<bool>{false, true}));
    EXPECT_EQ(f.get<std::vector<std::string>>("py.arr_string"), (std::vector<std::string>{"alpha", "", "γ"}));
    const auto nested = f.get<std::vector<gg::array>>("py.arr_nested");
    ASSERT_EQ(nested.size(), 2u);
    EXPECT_EQ(nested[0].items<std::int32_t>(), (std::vector<std::int32_t>{1, 2, 3}));
    EXPECT_EQ(nested[1].items<std::int32_t>(), (std::vector<std::int32_t>{4}));
    ASSERT_EQ(f.metadata().size(), 22u);

    ASSERT_EQ(f.tensors().size(), 4u);
    const auto& x = f.tensor("f32.weight");
    EXPECT_EQ(x.type(), qforge::ggml_type::f32);
    EXPECT_EQ(std::vector<std::uint64_t>(x.dims().begin(), x.dims().end()), (std::vector<std::uint64_t>{64, 3}));
    std::vector<float> xs(192);
    std::memcpy(xs.data(), x.data.data(), x.n_bytes);
    for (std::size_t i = 0; i < xs.size(); ++i)
        EXPECT_NEAR(xs[i], 2.0 * std::sin(static_cast<double>(static_cast<float>(i) * 0.37f)), 1e-5) << i;
    const auto& h = f.tensor("f16.weight");
    EXPECT_EQ(h.type(), qforge::ggml_type::f16);
    EXPECT_EQ(std::vector<std::uint64_t>(h.dims().begin(), h.dims().end()), (std::vector<std::uint64_t>{4, 2}));
    for (std::size_t i = 0; i < 8; ++i) {
        qforge::f16 v;
        std::memcpy(&v, h.data.data() + 2 * i, 2);
        EXPECT_EQ(v.to_float(), static_cast<float>(i));
    }
    const auto& idx = f.tensor("i32.index");
    std::int32_t ints[3];
    std::memcpy(ints, idx.data.data(), 12);
    EXPECT_EQ(ints[0], 7);
    EXPECT_EQ(ints[1], -8);
    EXPECT_EQ(ints[2], 9);
    // gguf-py's Q8_0 quantizer claims bit-exactness with ggml's reference; so does ours: same bytes.
    const auto& q = f.tensor("q8.weight");
    EXPECT_EQ(q.type(), qforge::ggml_type::q8_0);
    EXPECT_EQ(q.n_bytes, 6u * 34u);
    std::vector<qforge::q8_0::block> ours(6);
    qforge::q8_0::quantize(xs, ours);
    EXPECT_EQ(std::memcmp(ours.data(), q.data.data(), q.n_bytes), 0);
}

std::vector<std::filesystem::path> shared_models() {
    std::vector<std::filesystem::path> v;
    if (std::filesystem::exists(qforge_test::models_dir()))
        for (const auto& e : std::filesystem::directory_iterator(qforge_test::models_dir()))
            if (e.path().extension() == ".gguf") v.push_back(e.path());
    std::sort(v.begin(), v.end());
    return v;
}

TEST(GgufPython, BothReadersAgreeOnSharedModels) {
    REQUIRE_PYTHON();
    const auto files = shared_models();
    if (files.empty()) GTEST_SKIP() << "no models in " << qforge_test::models_dir();
    // One Python run for all files (its start-up dominates).
    std::string cmd = quote(python()) + " " + quote(script("dump_model.py"));
    std::ostringstream ours;
    for (const auto& path : files) {
        cmd += " " + quote(path.string());
        const auto f = gg::open(path);
        ours << "file " << path.string() << "\nversion " << f.version() << "\nalignment " << f.alignment()
             << "\ndata_offset " << f.data_offset() << "\n";
        for (const auto& [k, v] : f.metadata()) {
            ours << "key " << k << " " << gg::to_string(v.type());
            if (v.type() == gg::value_type::array)
                ours << "," << gg::to_string(v.as<gg::array>().element_type()) << " " << v.as<gg::array>().size();
            else
                ours << " 1";
            ours << "\n";
        }
        for (const auto& t : f.tensors())
            ours << "tensor " << t.name << " " << t.type_id << " " << join_dims(t.dims()) << " " << t.file_offset
                 << " " << t.n_bytes << "\n";
    }
    const auto r = run(cmd);
    ASSERT_EQ(r.status, 0);
    EXPECT_EQ(ours.str(), r.out);
}

TEST(GgufPython, JsonDocumentMatchesReferenceReader) {
    // qforge-inspect --json (gguf::print_json), parsed by Python's json module, against gguf-py's view.
    REQUIRE_PYTHON();
    auto files = shared_models();
    const auto ours = temp_path("json_rich.gguf");
    qforge_test::rich_writer().write(ours);
    files.push_back(ours);
    std::string cmd = quote(python()) + " " + quote(script("check_json.py"));
    std::vector<std::filesystem::path> docs;
    for (const auto& path : files) {
        docs.push_back(temp_path("doc" + std::to_string(docs.size()) + ".json"));
        std::ofstream os(docs.back());
        gg::print_json(gg::open(path), os);
        cmd += " " + quote(path.string()) + " " + quote(docs.back().string());
    }
    EXPECT_EQ(run(cmd).status, 0) << "see MISMATCH lines above";
    std::filesystem::remove(ours);
    for (const auto& d : docs) std::filesystem::remove(d);
}
