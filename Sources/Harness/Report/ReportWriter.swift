import Foundation

public enum ReportWriter {
    /// Renders `input` and writes `report.md` and `report.html` into `directory` (created if missing).
    /// Each file is written atomically — a temporary file in the same directory, then a rename — so a
    /// reader (or a CI artifact upload) never sees half a report. Returns the two files' URLs.
    @discardableResult
    public static func write(_ input: ReportInput, to directory: URL) throws(ReportError) -> (markdown: URL, html: URL) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: directory.path, reason: error.localizedDescription)
        }
        let markdown = directory.appendingPathComponent("report.md")
        let html = directory.appendingPathComponent("report.html")
        try write(MarkdownReport.render(input), to: markdown)
        try write(HTMLReport.render(input), to: html)
        return (markdown, html)
    }

    private static func write(_ text: String, to url: URL) throws(ReportError) {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw .writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }
}
