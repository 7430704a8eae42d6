// CREATE TABLE ... LIKE source [(options)]: Flink's merging of a table definition with the one
// it copies (MergeTableLikeUtil). The source's physical columns always come first; each other
// feature follows its strategy: INCLUDING copies it and fails on a clash with the new table's,
// OVERWRITING copies it and lets the new table's win a clash, EXCLUDING leaves it out.
// Without options: INCLUDING ALL OVERWRITING OPTIONS.

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

namespace {

using Feature = ast::LikeOption::Feature;
using Strategy = ast::LikeOption::Strategy;

constexpr std::array<Feature, 6> kFeatures = {Feature::kConstraints, Feature::kPartitions,
                                              Feature::kGenerated,   Feature::kOptions,
                                              Feature::kWatermarks,  Feature::kMetadata};

/// Every Feature, ALL included (the arrays below are indexed by it).
constexpr size_t kFeatureCount = static_cast<size_t>(Feature::kMetadata) + 1;

/// The strategy of each feature (indexed by Feature), after the written options.
struct Strategies {
  std::array<Strategy, kFeatureCount> of{};
  Strategy operator[](Feature feature) const { return of[static_cast<size_t>(feature)]; }
};

bool IsPhysical(const ast::ColumnDefinition& column) {
  return !column.IsComputed() && !column.IsMetadata();
}

const char* KindOf(const ast::ColumnDefinition& column) {
  return column.IsComputed() ? "computed" : column.IsMetadata() ? "metadata" : "physical";
}

}  // namespace

bool Binder::MergeLikeSource(const ast::LikeClause& like, TableDefinition* definition) {
  const std::string source_name = like.source.Last().name;
  CatalogTable* source = catalog_->FindTable(source_name);
  if (source == nullptr || source->definition == nullptr) {
    bool view = catalog_->FindView(source_name) != nullptr;
    Error(base::ErrorCode::kBind,
          view ? fmt::format("CREATE TABLE ... LIKE '{}': a view has no table definition to copy",
                             source_name)
               : fmt::format("CREATE TABLE ... LIKE: table not found: '{}'", source_name),
          like.source.span);
    return false;
  }
  const TableDefinition& base = *source->definition;

  // Flink's defaults, then the options in order; a feature may be named once (ALL aside).
  Strategies strategies;
  for (Feature feature : kFeatures) {
    strategies.of[static_cast<size_t>(feature)] =
        feature == Feature::kOptions ? Strategy::kOverwriting : Strategy::kIncluding;
  }
  std::array<bool, kFeatureCount> named{};
  for (const ast::LikeOption& option : like.options) {
    size_t index = static_cast<size_t>(option.feature);
    if (named[index]) {
      Error(base::ErrorCode::kBind,
            fmt::format("LIKE option {} is given twice", ast::LikeFeatureName(option.feature)),
            option.span);
      return false;
    }
    named[index] = true;
    if (option.feature == Feature::kAll) {
      for (Feature feature : kFeatures)
        strategies.of[static_cast<size_t>(feature)] = option.strategy;
    } else {
      strategies.of[index] = option.strategy;
    }
  }

  // The new table's own duplicates, reported as without LIKE (a merge would hide them).
  for (size_t i = 0; i < definition->columns.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (types::IdentifierEquals(definition->columns[j]->name.name,
                                  definition->columns[i]->name.name)) {
        Error(base::ErrorCode::kBind,
              "duplicate column '" + definition->columns[i]->name.name + "'",
              definition->columns[i]->name.span);
        return false;
      }
    }
  }
  if (definition->watermarks.size() > 1) {
    Error(base::ErrorCode::kBind, "a table can declare only one WATERMARK",
          definition->watermarks[1]->span);
    return false;
  }
  for (size_t i = 0; i < definition->options.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (definition->options[j].key == definition->options[i].key) {
        Error(base::ErrorCode::kOption,
              "option '" + definition->options[i].key + "' is given twice",
              definition->options[i].key_span);
        return false;
      }
    }
  }

  // Columns: the source's (its computed and metadata ones unless excluded), then the new
  // table's; a new computed or metadata column replaces the source's of that name only when
  // OVERWRITING.
  std::vector<const ast::ColumnDefinition*> columns;
  for (const ast::ColumnDefinition* column : base.columns) {
    if (column->IsComputed() && strategies[Feature::kGenerated] == Strategy::kExcluding) continue;
    if (column->IsMetadata() && strategies[Feature::kMetadata] == Strategy::kExcluding) continue;
    columns.push_back(column);
  }
  // A clash is with the source's elements only: the new table's own duplicates are appended,
  // so that BindCreateTable reports them as it does without LIKE.
  const size_t base_columns = columns.size();
  for (const ast::ColumnDefinition* column : definition->columns) {
    auto base_end = columns.begin() + static_cast<std::ptrdiff_t>(base_columns);
    auto same = std::find_if(columns.begin(), base_end, [&](const ast::ColumnDefinition* c) {
      return types::IdentifierEquals(c->name.name, column->name.name);
    });
    if (same == base_end) {
      columns.push_back(column);
      continue;
    }
    const ast::ColumnDefinition& existing = **same;
    Feature feature = column->IsComputed() ? Feature::kGenerated : Feature::kMetadata;
    bool same_kind = column->IsComputed() == existing.IsComputed() &&
                     column->IsMetadata() == existing.IsMetadata();
    if (IsPhysical(*column) || IsPhysical(existing) || !same_kind) {
      Error(base::ErrorCode::kBind,
            fmt::format("column '{}' is already a {} column of table '{}' (LIKE); only a "
                        "computed or metadata column replaces one of its kind, with OVERWRITING",
                        column->name.name, KindOf(existing), source_name),
            column->name.span);
      return false;
    }
    if (strategies[feature] != Strategy::kOverwriting) {
      Error(base::ErrorCode::kBind,
            fmt::format("table '{}' (LIKE) already has a {} column '{}'; add EXCLUDING {} or "
                        "OVERWRITING {} to the LIKE options",
                        source_name, KindOf(existing), column->name.name,
                        ast::LikeFeatureName(feature), ast::LikeFeatureName(feature)),
            column->name.span);
      return false;
    }
    *same = column;
  }
  definition->columns = std::move(columns);

  // Watermarks: one per rowtime column; the new table's replaces the source's only when
  // OVERWRITING.
  std::vector<const ast::WatermarkDefinition*> watermarks;
  if (strategies[Feature::kWatermarks] != Strategy::kExcluding) watermarks = base.watermarks;
  const size_t base_watermarks = watermarks.size();
  for (const ast::WatermarkDefinition* watermark : definition->watermarks) {
    auto base_end = watermarks.begin() + static_cast<std::ptrdiff_t>(base_watermarks);
    auto same = std::find_if(watermarks.begin(), base_end, [&](const ast::WatermarkDefinition* w) {
      return types::IdentifierEquals(w->column.name, watermark->column.name);
    });
    if (same == base_end) {
      watermarks.push_back(watermark);
    } else if (strategies[Feature::kWatermarks] == Strategy::kOverwriting) {
      *same = watermark;
    } else {
      Error(base::ErrorCode::kBind,
            fmt::format("table '{}' (LIKE) already has a WATERMARK FOR {}; add EXCLUDING "
                        "WATERMARKS or OVERWRITING WATERMARKS to the LIKE options",
                        source_name, watermark->column.name),
            watermark->span);
      return false;
    }
  }
  definition->watermarks = std::move(watermarks);

  // The primary key and the partition keys: the source's or the new table's, never both.
  if (strategies[Feature::kConstraints] == Strategy::kIncluding && !base.primary_key.empty()) {
    if (!definition->primary_key.empty()) {
      Error(base::ErrorCode::kBind,
            fmt::format("table '{}' (LIKE) already has a PRIMARY KEY; add EXCLUDING CONSTRAINTS "
                        "to the LIKE options",
                        source_name),
            definition->primary_key_span);
      return false;
    }
    definition->primary_key = base.primary_key;
    definition->primary_key_span = base.primary_key_span;
  }
  if (strategies[Feature::kPartitions] == Strategy::kIncluding && !base.partitioned_by.empty()) {
    if (!definition->partitioned_by.empty()) {
      Error(base::ErrorCode::kBind,
            fmt::format("table '{}' (LIKE) is already PARTITIONED BY; add EXCLUDING PARTITIONS "
                        "to the LIKE options",
                        source_name),
            definition->partitioned_by.front().span);
      return false;
    }
    definition->partitioned_by = base.partitioned_by;
  }

  // Options: the source's first; a key given again replaces it only when OVERWRITING.
  if (strategies[Feature::kOptions] != Strategy::kExcluding) {
    std::vector<ast::TableOption> options = base.options;
    const size_t base_options = options.size();
    for (const ast::TableOption& option : definition->options) {
      auto base_end = options.begin() + static_cast<std::ptrdiff_t>(base_options);
      auto same = std::find_if(options.begin(), base_end,
                               [&](const ast::TableOption& o) { return o.key == option.key; });
      if (same == base_end) {
        options.push_back(option);
      } else if (strategies[Feature::kOptions] == Strategy::kOverwriting) {
        *same = option;
      } else {
        Error(base::ErrorCode::kOption,
              fmt::format("table '{}' (LIKE) already has option '{}' = '{}'; add EXCLUDING "
                          "OPTIONS or OVERWRITING OPTIONS to the LIKE options",
                          source_name, same->key, same->value),
              option.key_span);
        return false;
      }
    }
    definition->options = std::move(options);
  }
  return true;
}

}  // namespace sluice::compiler::binder
