#include "compiler/ast/statement.h"

#include <fmt/format.h>

// GCC 12 reports a false -Wrestrict on `"literal" + std::string` at -O3 (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace sluice::ast {

std::string QueryStatement::ToString() const {
  return query->ToString();
}

std::string InsertStatement::ToString() const {
  std::string out =
      std::string(overwrite ? "INSERT OVERWRITE " : "INSERT INTO ") + target.ToString();
  if (!columns.empty()) out += " (" + JoinIdentifiers(columns, ", ") + ")";
  return out + " " + query->ToString();
}

std::string CreateTableStatement::ToString() const {
  std::string out = "CREATE ";
  if (temporary) out += "TEMPORARY ";
  out += "TABLE ";
  if (if_not_exists) out += "IF NOT EXISTS ";
  out += name.ToString();
  std::vector<std::string> elements;
  for (const ColumnDefinition& column : columns) {
    std::string element = column.name.ToString();
    if (column.computed) {
      element += " AS " + column.computed->ToString();
    } else {
      element += " " + column.type->ToString();
    }
    if (column.metadata) {
      element += " METADATA";
      if (column.metadata->key) element += " FROM " + QuoteString(*column.metadata->key);
      if (column.metadata->is_virtual) element += " VIRTUAL";
    }
    if (column.primary_key) element += " PRIMARY KEY NOT ENFORCED";
    if (!column.comment.empty()) element += " COMMENT " + QuoteString(column.comment);
    elements.push_back(element);
  }
  for (const WatermarkDefinition& watermark : watermarks) {
    elements.push_back("WATERMARK FOR " + watermark.column.ToString() + " AS " +
                       watermark.expression->ToString());
  }
  if (!primary_key.empty()) {
    elements.push_back("PRIMARY KEY (" + JoinIdentifiers(primary_key, ", ") + ") NOT ENFORCED");
  }
  for (size_t i = 0; i < elements.size(); ++i) {
    out += i == 0 ? " (" : ", ";
    out += elements[i];
  }
  if (!elements.empty()) out += ")";
  if (!comment.empty()) out += " COMMENT " + QuoteString(comment);
  if (!partitioned_by.empty()) {
    out += " PARTITIONED BY (" + JoinIdentifiers(partitioned_by, ", ") + ")";
  }
  if (!options.empty()) {
    out += " WITH (";
    for (size_t i = 0; i < options.size(); ++i) {
      if (i > 0) out += ", ";
      out += QuoteString(options[i].key) + " = " + QuoteString(options[i].value);
    }
    out += ")";
  }
  if (like) {
    out += " LIKE " + like->source.ToString();
    if (!like->options.empty()) {
      out += " (";
      for (size_t i = 0; i < like->options.size(); ++i) {
        if (i > 0) out += " ";
        out += std::string(LikeStrategyName(like->options[i].strategy)) + " " +
               LikeFeatureName(like->options[i].feature);
      }
      out += ")";
    }
  }
  if (as_query) out += " AS " + as_query->ToString();
  return out;
}

const char* LikeStrategyName(LikeOption::Strategy strategy) {
  switch (strategy) {
    case LikeOption::Strategy::kIncluding: return "INCLUDING";
    case LikeOption::Strategy::kExcluding: return "EXCLUDING";
    case LikeOption::Strategy::kOverwriting: return "OVERWRITING";
  }
  return "?";
}

const char* LikeFeatureName(LikeOption::Feature feature) {
  switch (feature) {
    case LikeOption::Feature::kAll: return "ALL";
    case LikeOption::Feature::kConstraints: return "CONSTRAINTS";
    case LikeOption::Feature::kPartitions: return "PARTITIONS";
    case LikeOption::Feature::kGenerated: return "GENERATED";
    case LikeOption::Feature::kOptions: return "OPTIONS";
    case LikeOption::Feature::kWatermarks: return "WATERMARKS";
    case LikeOption::Feature::kMetadata: return "METADATA";
  }
  return "?";
}

std::string CreateViewStatement::ToString() const {
  std::string out = "CREATE ";
  if (temporary) out += "TEMPORARY ";
  out += "VIEW ";
  if (if_not_exists) out += "IF NOT EXISTS ";
  out += name.ToString();
  if (!columns.empty()) out += " (" + JoinIdentifiers(columns, ", ") + ")";
  return out + " AS " + query->ToString();
}

std::string CreateFunctionStatement::ToString() const {
  std::string out = "CREATE ";
  if (temporary) out += "TEMPORARY ";
  if (system) out += "SYSTEM ";
  out += "FUNCTION ";
  if (if_not_exists) out += "IF NOT EXISTS ";
  out += name.ToString() + " AS " + QuoteString(implementation);
  if (language.has_value()) out += " LANGUAGE " + language->ToString();
  return out;
}

std::string SetStatement::ToString() const {
  if (!key.has_value()) return "SET";
  return "SET " + QuoteString(*key) + " = " + QuoteString(value.value_or(""));
}

std::string DropStatement::ToString() const {
  const char* object = this->object == Object::kTable  ? "TABLE"
                       : this->object == Object::kView ? "VIEW"
                                                       : "FUNCTION";
  return fmt::format("DROP {} {}{}", object, if_exists ? "IF EXISTS " : "", name.ToString());
}

std::string CreateCatalogStatement::ToString() const {
  return fmt::format("CREATE {} {}{}", catalog ? "CATALOG" : "DATABASE",
                     if_not_exists ? "IF NOT EXISTS " : "", name.ToString());
}

std::string UseStatement::ToString() const {
  return std::string(catalog ? "USE CATALOG " : "USE ") + name.ToString();
}

std::string ResetStatement::ToString() const {
  return key.has_value() ? "RESET " + QuoteString(*key) : "RESET";
}

std::string ExplainStatement::ToString() const {
  return "EXPLAIN " + statement->ToString();
}

std::string ExplainUpgradeStatement::ToString() const {
  return "EXPLAIN UPGRADE FROM '" + directory + "'";
}

std::string ShowStatement::ToString() const {
  switch (object) {
    case ShowObject::kTables: return "SHOW TABLES";
    case ShowObject::kFunctions: return "SHOW FUNCTIONS";
    case ShowObject::kViews: return "SHOW VIEWS";
    case ShowObject::kJobs: return "SHOW JOBS";
  }
  return "SHOW ?";
}

std::string DescribeStatement::ToString() const {
  return "DESCRIBE " + name.ToString();
}

std::string StopJobStatement::ToString() const {
  std::string out = "STOP JOB " + QuoteString(job_name);
  if (with_savepoint) out += " WITH SAVEPOINT";
  if (drain) out += " WITH DRAIN";
  return out;
}

}  // namespace sluice::ast
