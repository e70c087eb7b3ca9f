// The SentencePiece-BPE tokenizer against llama2.c / llama.cpp: the 18 golden tokenizations of aidreams260K,
// round trips, the golden texts (run.c's decode), the placeholder vocabulary's byte fallback, hostile files.
#include <qforge/io/llama2c.hpp>
#include <qforge/io/tokenizer.hpp>

#include <fstream>
#include <sstream>

#include "support/golden.hpp"

using namespace qforge;

namespace {

// Just enough JSON for the golden file: {"text": "<string>", "ids": [<ints>]} per line.
struct json_case {
    std::string text;
    std::vector<token_id> ids;
};

void put_utf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) s += static_cast<char>(cp);
    else if (cp < 0x800) { s += static_cast<char>(0xC0 | (cp >> 6)); s += static_cast<char>(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

json_case parse_line(const std::string& line) {
    json_case c;
    const std::string key = "{\"text\": \"";
    EXPECT_EQ(line.rfind(key, 0), 0u);
    std::size_t i = key.size();
    while (i < line.size() && line[i] != '"') {
        if (line[i] != '\\') { c.text += line[i++]; continue; }
        const char e = line[i + 1];
        i += 2;
        switch (e) {
        case 'n': c.text += '\n'; break;
        case 't': c.text += '\t'; break;
        case 'r': c.text += '\r'; break;
        case 'u': {
            std::uint32_t cp = std::stoul(line.substr(i, 4), nullptr, 16);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00) { // surrogate pair
                const std::uint32_t lo = std::stoul(line.substr(i + 2, 4), nullptr, 16);
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(c.text, cp);
            break;
        }
        default: c.text += e; // \" \\ \/
        }
    }
    const std::size_t open = line.find('[', i), close = line.find(']', open);
    std::string nums = line.substr(open + 1, close - open - 1);
    for (char& ch : nums) if (ch == ',') ch = ' ';
    std::istringstream is(nums);
    token_id t;
    while (is >> t) c.ids.push_back(t);
    return c;
}

std::vector<json_case> golden_cases() {
    std::ifstream f(qforge_test::golden_llm_dir() / "aidreams260K.tokenize.jsonl");
    std::vector<json_case> v;
    for (std::string line; std::getline(f, line);)
        if (!line.empty()) v.push_back(parse_line(line));
    return v;
}

spm_tokenizer aidreams() {
    return spm_tokenizer::from_llama2c(llama2c::read_tokenizer(qforge_test::models_dir() / "aidreams260K.tok512.bin", 512));
}

std::vector<std::byte> bytes_of(const std::string& s) {
    std::vector<std::byte> b(s.size());
    std::memcpy(b.data(), s.data(), s.size());
    return b;
}

void put_i32(std::string& s, std::int32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
void put_f32(std::string& s, float v) { s.append(reinterpret_cast<const char*>(&v), 4); }

} // namespace

TEST(tokenizer, golden_encodings_all_18) {
    QFORGE_REQUIRE_SHARED();
    const auto tok = aidreams();
    const auto cases = golden_cases();
    ASSERT_EQ(cases.size(), 18u);
    for (const auto& c : cases) EXPECT_EQ(tok.encode(c.text), c.ids) << "text: '" << c.text << "'";
}

TEST(tokenizer, decode_round_trips_the_golden_strings) {
    QFORGE_REQUIRE_SHARED();
    const auto tok = aidreams();
    for (const auto& c : golden_cases()) EXPECT_EQ(tok.decode(tok.encode(c.text)), c.text);
}

TEST(tokenizer, golden_texts_byte_for_byte) {
    QFORGE_REQUIRE_SHARED();
    const auto tok = aidreams();
    for (const std::string c : {"bos-n120", "the-n120", "i-dreamed-of-n120"}) {
        std::ifstream f(qforge_test::golden_llm_dir() / ("aidreams260K." + c + ".ids"));
        std::string a, b;
        std::getline(f, a);
        std::getline(f, b);
        std::vector<token_id> ids;
        std::istringstream pa(a.substr(8)), pb(b.substr(5));
        for (token_id t; pa >> t;) ids.push_back(t);
        for (token_id t; pb >> t;) ids.push_back(t);
        ASSERT_GT(ids.size(), 120u);
        const auto want = qforge_test::read_bytes(qforge_test::golden_llm_dir() / ("aidreams260K." + c + ".txt"));
        EXPECT_EQ(tok.decode(ids) + "\n", std::string(want.begin(), want.end())) << c;
    }
}

TEST(tokenizer, gguf_style_vocabulary_encodes_the_same) {
    QFORGE_REQUIRE_SHARED();
    const auto v = llama2c::read_tokenizer(qforge_test::models_dir() / "aidreams260K.tok512.bin", 512);
    std::vector<std::string> toks;
    std::vector<token_type> types;
    for (std::size_t i = 0; i < v.tokens.size(); ++i) {
        std::string t;
        for (char ch : v.tokens[i]) t += ch == ' ' ? std::string("\xE2\x96\x81") : std::string(1, ch);
        toks.push_back(t);
        types.push_back(i == 0 ? token_type::unknown : i < 3 ? token_type::control : i < 259 ? token_type::byte : token_type::normal);
    }
    const auto g = spm_tokenizer::from_vocab(toks, v.scores, types, {1, 2, 0});
    const auto l = aidreams();
    for (const auto& c : golden_cases()) EXPECT_EQ(g.encode(c.text), c.ids);
    EXPECT_EQ(g.piece(429), " ");
    EXPECT_EQ(l.find(" "), 429);
}

TEST(tokenizer, placeholder_vocabulary_falls_back_to_the_bytes_of_u2581) {
    QFORGE_REQUIRE_SHARED();
    const auto tok = spm_tokenizer::from_llama2c(
        llama2c::read_tokenizer(qforge_test::models_dir() / "stories260K.tok512-placeholder.bin", 512));
    // llama.cpp's tokenization of "hi" with this vocabulary (../shared/models/README.md).
    EXPECT_EQ(tok.encode("hi"), (std::vector<token_id>{1, 229, 153, 132, 107, 108}));
    EXPECT_EQ(tok.encode(""), (std::vector<token_id>{1}));
    EXPECT_EQ(tok.encode("", false), (std::vector<token_id>{}));
    EXPECT_EQ(tok.encode("a", true, true), (std::vector<token_id>{1, 229, 153, 132, 100, 2}));
    EXPECT_EQ(tok.decode(1, 2), ""); // control tokens print nothing
    EXPECT_EQ(tok.decode(5, 100), "a");
}

TEST(tokenizer, bad_ids_and_vocabularies_are_errors) {
    const std::vector<std::string> toks{"<unk>", "<s>", "</s>", "a"};
    const std::vector<float> scores{0, 0, 0, 0};
    const std::vector<token_type> types{token_type::unknown, token_type::control, token_type::control, token_type::normal};
    const auto tok = spm_tokenizer::from_vocab(toks, scores, types, {1, 2, 0});
    EXPECT_THROW(tok.decode(0, 4), error);
    EXPECT_THROW(tok.decode(0, -1), error);
    EXPECT_THROW(spm_tokenizer::from_vocab(toks, std::vector<float>{0, 0}, types, {1, 2, 0}), error);
    EXPECT_THROW(spm_tokenizer::from_vocab(toks, scores, types, {7, 2, 0}), error);
    const std::vector<float> nan_scores{0, 0, 0, std::nanf("")};
    EXPECT_THROW(spm_tokenizer::from_vocab(toks, nan_scores, types, {1, 2, 0}), error);
}

TEST(tokenizer, hostile_tokenizer_files_are_errors) {
    std::string good;
    put_i32(good, 3);
    for (const char* t : {"<unk>", "ab", "c"}) {
        const std::string s = t;
        put_f32(good, -1.0f);
        put_i32(good, static_cast<std::int32_t>(std::min<std::size_t>(s.size(), 3)));
        good += s.substr(0, 3);
    }
    EXPECT_NO_THROW(llama2c::parse_tokenizer(bytes_of(good), 3));
    EXPECT_EQ(llama2c::parse_tokenizer(bytes_of(good), 3).tokens[1], "ab");
    auto expect_error = [](const std::string& bytes, std::size_t n, const char* needle) {
        try {
            llama2c::parse_tokenizer(bytes_of(bytes), n, "tok.bin");
            ADD_FAILURE() << "no error for " << needle;
        } catch (const error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("tok.bin"), std::string::npos) << e.what();
        }
    };
    expect_error(good.substr(0, good.size() - 1), 3, "truncated");
    expect_error(good, 2, "trailing bytes");
    expect_error(good, 4, "truncated");
    std::string long_token = good;
    std::int32_t big = 9;
    std::memcpy(long_token.data() + 8, &big, 4); // first token's length > max_token_length
    expect_error(long_token, 3, "length 9");
    std::string bad_max = good;
    std::int32_t zero = 0;
    std::memcpy(bad_max.data(), &zero, 4);
    expect_error(bad_max, 3, "max_token_length 0");
}
