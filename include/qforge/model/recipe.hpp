// qforge/model/recipe.hpp: which block format stores each weight of a Llama model.
//
//   recipe<q8_0>                                        every matrix q8_0 (the output head follows token_embd)
//   recipe<q4_k, role<attn_v, q6_k>, role<ffn_down, q6_k>, role<output, q6_k>>   a Q4_K_M-like mix
//   runtime_recipe                                      whatever the file has, chosen per tensor at load
//
// Norm weights are always f32 (as in every GGUF file). The output head defaults to token_embd's format
// because a tied classifier *is* the embedding table.
#pragma once

#include <string_view>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>
#include <boost/mp11/utility.hpp>

#include "qforge/core/concepts.hpp"

namespace qforge {

// Tensor roles: GGUF's names (per-layer ones are "blk.<i>.<name>.weight").
struct token_embd { static constexpr std::string_view name = "token_embd"; };
struct attn_q { static constexpr std::string_view name = "attn_q"; };
struct attn_k { static constexpr std::string_view name = "attn_k"; };
struct attn_v { static constexpr std::string_view name = "attn_v"; };
struct attn_output { static constexpr std::string_view name = "attn_output"; };
struct ffn_gate { static constexpr std::string_view name = "ffn_gate"; };
struct ffn_up { static constexpr std::string_view name = "ffn_up"; };
struct ffn_down { static constexpr std::string_view name = "ffn_down"; };
struct output { static constexpr std::string_view name = "output"; };

using llama_roles = boost::mp11::mp_list<token_embd, attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down, output>;

template <class Role>
concept TensorRole = boost::mp11::mp_contains<llama_roles, Role>::value;

template <class Role, class Format>
struct role {
    static_assert(TensorRole<Role>, "role<R, F>: R must be one of token_embd, attn_q, attn_k, attn_v, attn_output, "
                                    "ffn_gate, ffn_up, ffn_down, output");
    static_assert(BlockFormat<Format>, "role<R, F>: F must be a block format");
    using role_type = Role;
    using format = Format;
};

template <BlockFormat Default, class... Overrides>
struct recipe {
    using default_format = Default;
    using overrides = boost::mp11::mp_list<Overrides...>;
};

// Each tensor's format is read from the file (the runtime-dispatched engine).
struct runtime_recipe {};

namespace recipe_detail {
template <class Role>
struct has_role {
    template <class O>
    using fn = std::is_same<typename O::role_type, Role>;
};
template <class Recipe, class Role>
struct format_of;
template <class Recipe, class Role>
struct default_format {
    using type = typename Recipe::default_format;
};
template <class Recipe>
struct default_format<Recipe, output> { // a tied classifier is the embedding table
    using type = typename format_of<Recipe, token_embd>::type;
};
template <class O>
using override_format = typename O::format;
template <class Recipe, class Role>
struct format_of {
    using list = typename Recipe::overrides;
    using at = boost::mp11::mp_find_if_q<list, has_role<Role>>;
    static constexpr bool found = at::value < boost::mp11::mp_size<list>::value;
    using type = boost::mp11::mp_eval_if_c<!found, typename default_format<Recipe, Role>::type, override_format,
                                           boost::mp11::mp_eval_if_c<!found, void, boost::mp11::mp_at, list, at>>;
};
} // namespace recipe_detail

// The format a static recipe gives a role.
template <class Recipe, TensorRole Role>
using recipe_format_t = typename recipe_detail::format_of<Recipe, Role>::type;

} // namespace qforge
