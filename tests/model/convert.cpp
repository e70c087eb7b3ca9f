// llama2c::to_gguf (qforge-convert): converting the shared llama2.c checkpoints reproduces the shared GGUF
// files: every tensor's name, type, shape and bytes, every metadata value; with the same name and
// description, the whole file byte for byte. The FFN padding matches the shared -ffpad192 files.
#include <qforge/io/gguf.hpp>
#include <qforge/io/llama2c.hpp>

#include "support/golden.hpp"

using namespace qforge;
using qforge_test::models_dir;

namespace {

void expect_same_model(const gguf::file& ours, const gguf::file& theirs) {
    ASSERT_EQ(ours.tensors().size(), theirs.tensors().size());
    for (std::size_t i = 0; i < ours.tensors().size(); ++i) {
        const auto& a = ours.tensors()[i];
        const auto& b = theirs.tensors()[i];
        EXPECT_EQ(a.name, b.name);
        EXPECT_EQ(a.type_id, b.type_id) << a.name;
        EXPECT_EQ(a.n_dims, b.n_dims) << a.name;
        EXPECT_EQ(a.ne, b.ne) << a.name;
        ASSERT_EQ(a.data.size(), b.data.size()) << a.name;
        EXPECT_EQ(0, std::memcmp(a.data.data(), b.data.data(), a.data.size())) << a.name;
    }
    for (const auto& [key, value] : theirs.metadata()) {
        const gguf::value* v = ours.find_value(key);
        ASSERT_NE(v, nullptr) << key;
        EXPECT_TRUE(*v == value) << key;
    }
    EXPECT_EQ(ours.metadata().size(), theirs.metadata().size());
}

} // namespace

TEST(convert, llama2c_to_gguf_reproduces_the_shared_files) {
    QFORGE_REQUIRE_SHARED();
    struct job {
        const char* bin;
        const char* tok;
        const char* gguf;
        std::size_t pad;
    };
    for (const job j : {job{"stories260K.bin", "stories260K.tok512-placeholder.bin", "stories260K.gguf", 0},
                        job{"stories260K.bin", "stories260K.tok512-placeholder.bin", "stories260K-ffpad192.gguf", 32},
                        job{"aidreams260K.bin", "aidreams260K.tok512.bin", "aidreams260K.gguf", 0},
                        job{"aidreams260K.bin", "aidreams260K.tok512.bin", "aidreams260K-ffpad192.gguf", 32}}) {
        SCOPED_TRACE(j.gguf);
        const auto theirs = gguf::open(models_dir() / j.gguf);
        const auto ck = llama2c::checkpoint::read(models_dir() / j.bin);
        const auto voc = llama2c::read_tokenizer(models_dir() / j.tok, ck.cfg().vocab_size);
        llama2c::gguf_options o;
        o.name = theirs.get<std::string>("general.name");
        o.description = theirs.get<std::string>("general.description");
        o.pad_ff_to = j.pad;
        const auto bytes = llama2c::to_gguf(ck, voc, o).to_bytes();
        const auto ours = gguf::file::parse(bytes, "converted");
        expect_same_model(ours, theirs);
        const auto want = qforge_test::read_bytes(models_dir() / j.gguf);
        EXPECT_EQ(bytes.size(), want.size());
        EXPECT_EQ(0, std::memcmp(bytes.data(), want.data(), std::min(bytes.size(), want.size())));
    }
}

TEST(convert, vocabulary_must_match_the_model) {
    QFORGE_REQUIRE_SHARED();
    const auto ck = llama2c::checkpoint::read(models_dir() / "aidreams260K.bin");
    auto voc = llama2c::read_tokenizer(models_dir() / "aidreams260K.tok512.bin", 512);
    voc.tokens.pop_back();
    voc.scores.pop_back();
    EXPECT_THROW(llama2c::to_gguf(ck, voc), error);
}
