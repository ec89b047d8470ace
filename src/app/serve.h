#pragma once
// The composition root: builds every layer from the configuration and serves until stopped.

#include "core/config.h"

namespace docent::app {

// Returns the process exit code.
int serve(const core::Config& config);

}  // namespace docent::app
