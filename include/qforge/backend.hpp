// qforge/backend.hpp: the backend policies and all their kernels (reference, cpu<Arch>, cpu_auto, threads,
// fallback).
#pragma once

#include "qforge/backend/cpu/all.hpp"
#include "qforge/backend/cpu_auto.hpp"
#include "qforge/backend/fallback.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/backend/reference/kernels.hpp"
#include "qforge/backend/tags.hpp"
#include "qforge/backend/threads.hpp"
