#pragma once

#include <string_view>

namespace sluice::server {

/// Files shipped inside the binary (generated at build time from tools/sluice/server/web/ and
/// tools/sluice/server/openapi.json by CMake; nothing is downloaded).
std::string_view IndexHtml();    // the page: job list and job details, plain HTML/CSS/JS
std::string_view OpenApiJson();  // the API's OpenAPI 3 description

}  // namespace sluice::server
