// synthetic:retrieval-tiny: a Llama model with written (not trained) weights that retrieves key → value pairs over
// thousands of tokens. Construction: retrieval_model.cpp; description: engines/native/RETRIEVAL-MODEL.md.
#pragma once
#include <string>

#include "model.h"

namespace gem {

extern const char* const kRetrievalPreset;  // "retrieval-tiny"
// The preset's config.json.
std::string retrieval_config_json();
// Builds the model for `hf_config` (the preset's config; any override is refused with bad_request).
Model make_retrieval_model(const std::string& source, const Json& hf_config);

}  // namespace gem
