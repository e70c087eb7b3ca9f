// qforge/io/tokenizer.hpp: the SentencePiece-BPE "llama" tokenizer (GGUF tokenizer.ggml.model = "llama").
//
// Encoding follows llama2.c's encode(), which for these vocabularies gives the same ids as llama.cpp's
// llama_tokenize(add_special = true, parse_special = false):
//   1. BOS, then (for non-empty text) the dummy-prefix token " ";
//   2. the text split into UTF-8 characters, each looked up as a token, or else byte-fallback tokens <0xXX>;
//   3. repeatedly merge the adjacent pair whose concatenation is a token with the highest score (leftmost on
//      a tie) until no pair merges.
// Decoding follows run.c: a piece that follows BOS loses its leading space, <0xXX> tokens decode to the byte,
// control tokens decode to nothing.
// Token texts are kept with real spaces (llama2.c's form); GGUF's U+2581 "▁" is converted on construction.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "qforge/core/error.hpp"
#include "qforge/io/gguf.hpp"
#include "qforge/io/llama2c.hpp"

namespace qforge {

// GGUF's tokenizer.ggml.token_type values.
enum class token_type : std::int32_t { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };

using token_id = std::int32_t;

class spm_tokenizer {
public:
    struct special_ids {
        token_id bos = 1;
        token_id eos = 2;
        token_id unk = 0;
    };

    // From explicit vocabulary data (GGUF metadata arrays). `tokens` may use U+2581 for spaces.
    static spm_tokenizer from_vocab(std::span<const std::string> tokens, std::span<const float> scores,
                                    std::span<const token_type> types, special_ids ids) {
        const std::size_t n = tokens.size();
        require(n > 0 && n <= (1u << 24), errc::invalid_argument, "tokenizer: vocabulary size out of range");
        if (scores.size() != n || types.size() != n)
            throw error(errc::shape, "tokenizer: " + std::to_string(n) + " tokens but " + std::to_string(scores.size()) +
                                         " scores and " + std::to_string(types.size()) + " token types");
        spm_tokenizer t;
        t.ids_ = ids;
        for (const token_id id : {ids.bos, ids.eos, ids.unk})
            if (id < 0 || static_cast<std::size_t>(id) >= n)
                throw error(errc::invalid_argument, "tokenizer: special token id " + std::to_string(id) +
                                                        " is outside the vocabulary of " + std::to_string(n));
        t.pieces_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            if (!std::isfinite(scores[i]))
                throw error(errc::format, "tokenizer: token " + std::to_string(i) + " has a non-finite score");
            t.pieces_.push_back(to_spaces(tokens[i]));
        }
        t.scores_.assign(scores.begin(), scores.end());
        t.types_.assign(types.begin(), types.end());
        t.index();
        return t;
    }

    // From a llama2.c tokenizer file: 0 is <unk>, 1/2 are BOS/EOS, <0xXX> texts are byte tokens.
    static spm_tokenizer from_llama2c(const llama2c::vocabulary& v) {
        std::vector<token_type> types(v.tokens.size(), token_type::normal);
        for (std::size_t i = 0; i < types.size(); ++i) {
            if (i == 0) types[i] = token_type::unknown;
            else if (i == 1 || i == 2) types[i] = token_type::control;
            else if (parse_byte(v.tokens[i]) >= 0) types[i] = token_type::byte;
        }
        require(v.tokens.size() > 2, errc::invalid_argument, "tokenizer: a llama2.c vocabulary needs at least 3 tokens");
        return from_vocab(v.tokens, v.scores, types, {});
    }

    // From GGUF metadata: tokenizer.ggml.model must be "llama"; tokens are required, scores and token types
    // default to 0 / NORMAL; BOS/EOS/UNK default to 1/2/0 and must be in range; add_space_prefix (default
    // true) controls the dummy prefix.
    static spm_tokenizer from_gguf(const gguf::file& f) {
        const error_location where{f.name(), {}, {}};
        const auto model = f.get<std::string_view>("tokenizer.ggml.model");
        if (model != "llama")
            throw error(errc::unsupported, "tokenizer.ggml.model '" + std::string(model) +
                                               "' is not supported (only the SentencePiece 'llama' tokenizer)", where);
        const auto tokens = f.get<std::vector<std::string>>("tokenizer.ggml.tokens");
        const std::size_t n = tokens.size();
        std::vector<float> scores = f.find<std::vector<float>>("tokenizer.ggml.scores").value_or(std::vector<float>(n, 0.0f));
        const auto raw_types = f.find<std::vector<std::int32_t>>("tokenizer.ggml.token_type")
                                   .value_or(std::vector<std::int32_t>(n, static_cast<std::int32_t>(token_type::normal)));
        if (scores.size() != n || raw_types.size() != n)
            throw error(errc::format, std::to_string(n) + " tokens but " + std::to_string(scores.size()) + " scores and " +
                                          std::to_string(raw_types.size()) + " token types", where);
        std::vector<token_type> types(n);
        for (std::size_t i = 0; i < n; ++i) {
            if (raw_types[i] < 1 || raw_types[i] > 6)
                throw error(errc::format, "token " + std::to_string(i) + " has token type " + std::to_string(raw_types[i]) +
                                              " (valid: 1..6)", where);
            types[i] = static_cast<token_type>(raw_types[i]);
        }
        auto id = [&](const char* key, std::uint32_t fallback) {
            const std::uint32_t v = f.find<std::uint32_t>(key).value_or(fallback);
            if (v >= n)
                throw error(errc::format, std::string(key) + " = " + std::to_string(v) + " is outside the vocabulary of " +
                                              std::to_string(n), where);
            return static_cast<token_id>(v);
        };
        const special_ids ids{id("tokenizer.ggml.bos_token_id", 1), id("tokenizer.ggml.eos_token_id", 2),
                              id("tokenizer.ggml.unknown_token_id", 0)};
        auto t = from_vocab(tokens, scores, types, ids);
        t.add_space_prefix_ = f.find<bool>("tokenizer.ggml.add_space_prefix").value_or(true);
        t.add_bos_ = f.find<bool>("tokenizer.ggml.add_bos_token").value_or(true);
        return t;
    }

    std::size_t size() const noexcept { return pieces_.size(); }
    // Whether the model expects BOS first (GGUF tokenizer.ggml.add_bos_token; llama2.c: always).
    bool add_bos() const noexcept { return add_bos_; }
    token_id bos() const noexcept { return ids_.bos; }
    token_id eos() const noexcept { return ids_.eos; }
    token_id unk() const noexcept { return ids_.unk; }
    // Token text with real spaces (byte tokens keep their "<0xXX>" spelling).
    const std::string& piece(token_id id) const { return pieces_.at(checked(id)); }
    float score(token_id id) const { return scores_.at(checked(id)); }
    token_type type(token_id id) const { return types_.at(checked(id)); }

    // The id of a token text (real spaces), or -1. Duplicates resolve to the lowest id.
    token_id find(std::string_view text) const {
        const auto it = lookup_.find(std::string(text));
        return it == lookup_.end() ? -1 : it->second;
    }

    std::vector<token_id> encode(std::string_view text, bool add_bos = true, bool add_eos = false) const {
        std::vector<token_id> out;
        if (add_bos) out.push_back(ids_.bos);
        std::vector<token_id> syms;
        if (!text.empty() && add_space_prefix_) append_text(" ", find(" "), syms);
        std::size_t i = 0;
        while (i < text.size()) {
            // A UTF-8 character: a lead byte and up to 3 continuation bytes (as run.c groups them).
            std::size_t len = 1;
            while (i + len < text.size() && len < 4 && (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80) ++len;
            const std::string_view ch = text.substr(i, len);
            append_text(ch, find(ch), syms);
            i += len;
        }
        merge(syms);
        out.insert(out.end(), syms.begin(), syms.end());
        if (add_eos) out.push_back(ids_.eos);
        return out;
    }

    // The bytes that token `id` prints after token `prev` (run.c's decode: strip the space after BOS).
    std::string_view decode(token_id prev, token_id id) const {
        const std::size_t i = checked(id);
        if (types_[i] == token_type::control) return {};
        if (types_[i] == token_type::byte) {
            const int b = parse_byte(pieces_[i]);
            if (b >= 0) return {&byte_chars_[static_cast<std::size_t>(b)], 1};
        }
        std::string_view p = pieces_[i];
        if (prev == ids_.bos && !p.empty() && p.front() == ' ') p.remove_prefix(1);
        return p;
    }

    // Text of a whole sequence (the first id's predecessor is taken as none).
    std::string decode(std::span<const token_id> ids) const {
        std::string s;
        token_id prev = -1;
        for (const token_id id : ids) {
            s += decode(prev, id);
            prev = id;
        }
        return s;
    }

private:
    std::size_t checked(token_id id) const {
        if (id < 0 || static_cast<std::size_t>(id) >= pieces_.size())
            throw error(errc::invalid_argument, "token id " + std::to_string(id) + " is outside the vocabulary of " +
                                                    std::to_string(pieces_.size()));
        return static_cast<std::size_t>(id);
    }

    static std::string to_spaces(std::string_view s) {
        static constexpr std::string_view lower_block = "\xE2\x96\x81"; // U+2581
        std::string out;
        out.reserve(s.size());
        for (std::size_t i = 0; i < s.size();) {
            if (s.substr(i, 3) == lower_block) {
                out += ' ';
                i += 3;
            } else {
                out += s[i++];
            }
        }
        return out;
    }

    // "<0xAB>" -> 0xAB, anything else -> -1.
    static int parse_byte(std::string_view s) {
        if (s.size() != 6 || s.substr(0, 3) != "<0x" || s[5] != '>') return -1;
        auto hex = [](char c) {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            return -1;
        };
        const int hi = hex(s[3]), lo = hex(s[4]);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    void index() {
        lookup_.reserve(pieces_.size() * 2);
        for (std::size_t i = 0; i < pieces_.size(); ++i) lookup_.try_emplace(pieces_[i], static_cast<token_id>(i));
        for (int b = 0; b < 256; ++b) {
            byte_chars_[static_cast<std::size_t>(b)] = static_cast<char>(b);
            byte_ids_[static_cast<std::size_t>(b)] = ids_.unk;
        }
        for (std::size_t i = 0; i < pieces_.size(); ++i)
            if (types_[i] == token_type::byte) {
                const int b = parse_byte(pieces_[i]);
                if (b >= 0 && byte_ids_[static_cast<std::size_t>(b)] == ids_.unk)
                    byte_ids_[static_cast<std::size_t>(b)] = static_cast<token_id>(i);
            }
    }

    void append_text(std::string_view ch, token_id id, std::vector<token_id>& syms) const {
        if (id >= 0) {
            syms.push_back(id);
            return;
        }
        // Byte fallback. llama.cpp replaces spaces by U+2581 before it falls back, so a vocabulary without a
        // " " token gets the three bytes of U+2581 for a space (run.c would crash there instead).
        if (ch == " ") ch = "\xE2\x96\x81";
        for (const char c : ch) syms.push_back(byte_ids_[static_cast<unsigned char>(c)]);
    }

    void merge(std::vector<token_id>& syms) const {
        std::string pair;
        for (;;) {
            float best_score = -1e10f;
            token_id best_id = -1;
            std::size_t best_at = 0;
            for (std::size_t i = 0; i + 1 < syms.size(); ++i) {
                pair.assign(pieces_[static_cast<std::size_t>(syms[i])]);
                pair += pieces_[static_cast<std::size_t>(syms[i + 1])];
                const token_id id = find(pair);
                if (id >= 0 && scores_[static_cast<std::size_t>(id)] > best_score) {
                    best_score = scores_[static_cast<std::size_t>(id)];
                    best_id = id;
                    best_at = i;
                }
            }
            if (best_id < 0) return;
            syms[best_at] = best_id;
            syms.erase(syms.begin() + static_cast<std::ptrdiff_t>(best_at) + 1);
        }
    }

    special_ids ids_;
    bool add_space_prefix_ = true;
    bool add_bos_ = true;
    std::vector<std::string> pieces_;
    std::vector<float> scores_;
    std::vector<token_type> types_;
    std::unordered_map<std::string, token_id> lookup_;
    char byte_chars_[256] = {};
    token_id byte_ids_[256] = {};
};

} // namespace qforge
