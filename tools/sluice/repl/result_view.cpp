#include "tools/sluice/repl/result_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace sluice::repl {

namespace {

using Clock = std::chrono::steady_clock;

/// Rows kept back to size the columns before the header of a streamed result is printed.
constexpr size_t kStreamLayoutRows = 200;
constexpr auto kStreamLayoutDelay = std::chrono::milliseconds(300);
constexpr auto kRedrawInterval = std::chrono::milliseconds(250);

std::string CountLine(int64_t rows, const char* noun) {
  return fmt::format("({} {}{})\n", rows, noun, rows == 1 ? "" : "s");
}

void Write(std::FILE* out, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

/// Insert-only rows (or a changelog, with an `op` column first) printed as they arrive.
class StreamView final : public ResultView {
 public:
  StreamView(std::vector<ResultColumn> columns, bool changelog, std::FILE* out)
      : layout_(WithOp(std::move(columns), changelog)), changelog_(changelog), out_(out) {}

  void Add(const std::string& kind, std::vector<std::string> fields) override {
    if (changelog_) fields.insert(fields.begin(), kind);
    if (kind == "+I") ++inserted_;
    ++rows_;
    if (pending_.empty() && !header_printed_) first_row_ = Clock::now();
    pending_.push_back(std::move(fields));
  }

  void Flush(bool final) override {
    if (!header_printed_) {
      bool ready = final || pending_.size() >= kStreamLayoutRows ||
                   (!pending_.empty() && Clock::now() - first_row_ >= kStreamLayoutDelay);
      if (!ready) return;
      for (const auto& row : pending_) layout_.Fit(row);
      text_ += layout_.Header();
      header_printed_ = true;
    }
    for (const auto& row : pending_) text_ += layout_.Row(row);
    pending_.clear();
    if (final) text_ += CountLine(rows_, changelog_ ? "change" : "row");
    if (!text_.empty()) Write(out_, text_);
    text_.clear();
  }

  int64_t rows() const override { return rows_; }
  int64_t inserted_rows() const override { return inserted_; }

 private:
  static std::vector<ResultColumn> WithOp(std::vector<ResultColumn> columns, bool changelog) {
    if (changelog) columns.insert(columns.begin(), ResultColumn{"op", false});
    return columns;
  }

  TableLayout layout_;
  bool changelog_;
  std::FILE* out_;
  bool header_printed_ = false;
  Clock::time_point first_row_;
  std::vector<std::vector<std::string>> pending_;
  std::string text_;
  int64_t rows_ = 0;
  int64_t inserted_ = 0;
};

/// An updating result kept as the table it currently is: +I/+U add a row, -U/-D remove an
/// equal one. On a terminal it is redrawn in place; otherwise printed once at the end.
class MaterializedView final : public ResultView {
 public:
  MaterializedView(std::vector<ResultColumn> columns, std::FILE* out, Screen screen)
      : columns_(std::move(columns)), out_(out), redraw_(screen.redraw), screen_(screen) {}

  void Add(const std::string& kind, std::vector<std::string> fields) override {
    ++changes_;
    if (kind == "+I") ++inserted_;
    dirty_ = true;
    if (kind == "+I" || kind == "+U") {
      // An update takes the place of the row it retracted, so rows do not jump around.
      size_t at = kind == "+U" && retracted_at_ <= table_.size() ? retracted_at_ : table_.size();
      table_.insert(table_.begin() + static_cast<std::ptrdiff_t>(at), std::move(fields));
      retracted_at_ = SIZE_MAX;
      return;
    }
    auto found = std::find(table_.rbegin(), table_.rend(), fields);
    if (found == table_.rend()) return;
    auto erased = table_.erase(std::next(found).base());
    retracted_at_ = kind == "-U" ? static_cast<size_t>(erased - table_.begin()) : SIZE_MAX;
  }

  void Flush(bool final) override {
    if (!final && (!redraw_ || !dirty_ || Clock::now() - last_draw_ < kRedrawInterval)) return;
    TableLayout layout(columns_);
    // While it changes, show what fits the terminal (the row count says how many there are);
    // the final table is shown whole.
    bool fit = redraw_ && !final;
    size_t shown = table_.size();
    if (fit && screen_.rows > 6) shown = std::min(shown, static_cast<size_t>(screen_.rows - 6));
    for (size_t i = 0; i < shown; ++i) layout.Fit(table_[i]);
    std::string body = Fit(layout.Header(), fit);
    for (size_t i = 0; i < shown; ++i) body += Fit(layout.Row(table_[i]), fit);
    if (shown < table_.size()) body += fmt::format("... {} more rows\n", table_.size() - shown);
    body += fmt::format("({} row{}, {} change{}{})\n", table_.size(), table_.size() == 1 ? "" : "s",
                        changes_, changes_ == 1 ? "" : "s", final ? "" : ", updating");
    // Move to the start of the previous drawing and clear it before drawing again.
    std::string text =
        redraw_ && drawn_lines_ > 0 ? fmt::format("\x1b[{}F\x1b[J", drawn_lines_) : std::string();
    text += body;
    drawn_lines_ = static_cast<int>(std::count(body.begin(), body.end(), '\n'));
    Write(out_, text);
    last_draw_ = Clock::now();
    dirty_ = false;
  }

  int64_t rows() const override { return static_cast<int64_t>(table_.size()); }
  int64_t inserted_rows() const override { return inserted_; }

 private:
  /// Cuts lines to the terminal's width when redrawing: a wrapped line would throw off the
  /// count of lines to move up.
  std::string Fit(const std::string& lines, bool fit) const {
    if (!fit || screen_.columns < 2) return lines;
    std::string out;
    size_t start = 0;
    while (start < lines.size()) {
      size_t end = lines.find('\n', start);
      if (end == std::string::npos) end = lines.size();
      out += TruncateToWidth(lines.substr(start, end - start),
                             static_cast<size_t>(screen_.columns - 1));
      out += '\n';
      start = end + 1;
    }
    return out;
  }

  std::vector<ResultColumn> columns_;
  std::FILE* out_;
  bool redraw_;
  Screen screen_;
  std::vector<std::vector<std::string>> table_;
  size_t retracted_at_ = SIZE_MAX;  // where the last -U removed a row
  int64_t changes_ = 0;
  int64_t inserted_ = 0;
  bool dirty_ = false;
  int drawn_lines_ = 0;
  Clock::time_point last_draw_;
};

}  // namespace

std::string TruncateToWidth(const std::string& text, size_t width) {
  size_t seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (seen == width) return text.substr(0, i);
    ++seen;
  }
  return text;
}

size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) width += (c & 0xC0) != 0x80 ? 1 : 0;
  return width;
}

TableLayout::TableLayout(std::vector<ResultColumn> columns) : columns_(std::move(columns)) {
  for (const ResultColumn& column : columns_) widths_.push_back(DisplayWidth(column.name));
}

void TableLayout::Fit(const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size() && i < widths_.size(); ++i) {
    widths_[i] = std::max(widths_[i], DisplayWidth(fields[i]));
  }
}

std::string TableLayout::Header() const {
  std::string header;
  std::string rule;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i > 0) {
      header += "|";
      rule += "+";
    }
    size_t pad = widths_[i] - DisplayWidth(columns_[i].name);
    // Centered, as psql does.
    header += " " + std::string(pad / 2, ' ') + columns_[i].name + std::string(pad - pad / 2, ' ');
    header += i + 1 < columns_.size() ? " " : "";
    rule += std::string(widths_[i] + 2, '-');
  }
  while (!header.empty() && header.back() == ' ') header.pop_back();
  return header + "\n" + rule + "\n";
}

std::string TableLayout::Row(const std::vector<std::string>& fields) const {
  std::string row;
  for (size_t i = 0; i < columns_.size(); ++i) {
    const std::string& field = i < fields.size() ? fields[i] : std::string();
    size_t width = DisplayWidth(field);
    size_t pad = widths_[i] > width ? widths_[i] - width : 0;
    if (i > 0) row += "|";
    row += " ";
    if (columns_[i].right_aligned) {
      row += std::string(pad, ' ') + field;
    } else {
      row += field + (i + 1 < columns_.size() ? std::string(pad, ' ') : "");
    }
    if (i + 1 < columns_.size()) row += " ";
  }
  return row + "\n";
}

void PrintTable(std::vector<ResultColumn> columns,
                const std::vector<std::vector<std::string>>& rows) {
  TableLayout layout(std::move(columns));
  for (const auto& row : rows) layout.Fit(row);
  std::string text = layout.Header();
  for (const auto& row : rows) text += layout.Row(row);
  text += CountLine(static_cast<int64_t>(rows.size()), "row");
  Write(stdout, text);
}

std::unique_ptr<ResultView> MakeResultView(ResultMode mode, std::vector<ResultColumn> columns,
                                           std::FILE* out, Screen screen) {
  switch (mode) {
    case ResultMode::kStream:
      return std::make_unique<StreamView>(std::move(columns), /*changelog=*/false, out);
    case ResultMode::kChangelog:
      return std::make_unique<StreamView>(std::move(columns), /*changelog=*/true, out);
    case ResultMode::kTable:
      return std::make_unique<MaterializedView>(std::move(columns), out, screen);
  }
  return nullptr;
}

}  // namespace sluice::repl
