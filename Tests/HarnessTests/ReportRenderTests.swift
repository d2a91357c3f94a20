import Foundation
import Testing
@testable import Harness
import ImageIO

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Markdown and HTML rendering of a hand-built run (`ReportFixtures.input()`), and the writer.
@Suite struct ReportRenderTests {
    let input = ReportFixtures.input()

    @Test func verdictsFollowTheToleranceAndTheBetterSide() {
        let t = ToleranceSpec(absolute: 0.01, relative: 0.1)
        let exact = ToleranceSpec(absolute: 0.25, relative: 0.25)   // binary fractions: the bound is exactly 0.75
        #expect(ReportVerdict.judge(reproduced: 2.75, expected: 2, tolerance: exact, better: "lower") == .pass)
        #expect(ReportVerdict.judge(reproduced: 1.25, expected: 2, tolerance: exact, better: "higher") == .pass)
        #expect(ReportVerdict.judge(reproduced: 1.2, expected: 1, tolerance: t, better: "lower") == .regression)
        #expect(ReportVerdict.judge(reproduced: 0.8, expected: 1, tolerance: t, better: "lower") == .improvement)
        #expect(ReportVerdict.judge(reproduced: 1.2, expected: 1, tolerance: t, better: "higher") == .improvement)
        #expect(ReportVerdict.judge(reproduced: .nan, expected: 1, tolerance: t, better: "lower") == .regression)
        #expect(ReportVerdict.judge(reproduced: 1, expected: .nan, tolerance: t, better: "lower") == .unchecked)
        #expect(RowVerdict.rollUp([.pass, .improvement]) == .improvement)
        #expect(RowVerdict.rollUp([.improvement, .missing]) == .regression)
        #expect(RowVerdict.rollUp([.unchecked]) == .unchecked)
    }

    @Test func tablesAreInPaperOrderWithEveryVerdict() {
        let tables = ReportTables.build(input)
        #expect(tables.map(\.short) == ["S01", "T01", "T02", "T06", "T17", "R00"])
        let verdicts = Dictionary(uniqueKeysWithValues: tables.flatMap(\.rows).map { ($0.id, $0.verdict) })
        #expect(verdicts["S01/smallnet-3d/matching"] == .pass)
        #expect(verdicts["T01/smallnet-16d-dve/matching"] == .regression)
        #expect(verdicts["T01/smallnet-3d-dve/matching"] == .skipped)
        #expect(verdicts["T02/smallnet-16d-dve/regression"] == .improvement)
        #expect(verdicts["T06/hostile/matching"] == .failed)
        #expect(verdicts["T17/smallnet-64d-dve/limited-1"] == .pass)
        #expect(verdicts["R00/no-manifest/matching"] == .unchecked)
        #expect(ReportTables.summaryLine(tables)
                == "7 rows: 2 pass, 1 regression, 1 improvement, 1 skipped, 1 failed, 1 unchecked")
        #expect(tables[0].showsPaper && !tables[2].showsPaper)
    }

    @Test func markdownHasARowPerResultAndTheSkipReason() {
        let md = MarkdownReport.render(input)
        let headings = md.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { String($0.prefix(6)) }
        #expect(headings == ["## S01", "## T01", "## T02", "## T06", "## T17", "## R00"])
        #expect(md.contains("- commit: 0123456789abcdef (dirty: uncommitted changes)"))
        #expect(md.contains("- BLAS core: Haswell") && md.contains("- threads: 2") && md.contains("- scale: quick"))
        #expect(md.contains("**Summary:** 7 rows: 2 pass, 1 regression"))
        let lines = md.split(separator: "\n").map(String.init)
        func row(_ label: String) -> String? { lines.first { $0.hasPrefix("| \(label) |") } }
        let pass = row("smallnet-3d")
        // Each cell carries its own allowance (absolute + relative·|expected|) before the verdict.
        #expect(pass?.range(of: #"\| 1\.33 \| 1\.331 \| \+0\.001 \(\+0\.1%\) \| ±[0-9.]+ \| pass \|"#, options: .regularExpression) != nil)
        #expect(pass?.contains("| 1.25 |") == true)                       // the paper column of S01
        let skipped = lines.first { $0.contains("skipped: checkpoint missing: smallnet-3d-dve.pth") }
        #expect(skipped?.hasPrefix("| smallnet-3d |") == true)
        #expect(skipped?.range(of: #"\| 1\.36 \| — \| — \| ±[0-9.]+ \| — \|"#, options: .regularExpression) != nil)
        #expect(row("smallnet-16d")?.contains("**regression**") == true)
        #expect(md.contains("30.0 ± 1.5") && md.contains("30.10 ± 1.20 (n=3)"))
        #expect(lines.contains { $0.hasPrefix("| R00/no-manifest/matching |") && $0.contains("no manifest") })
        // Every table line of a section has the same number of unescaped pipes as its header.
        for block in md.components(separatedBy: "\n\n") where block.hasPrefix("| row") {
            let counts = Set(block.split(separator: "\n").map { line in
                line.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count
            })
            #expect(counts.count == 1, "ragged table: \(block)")
        }
    }

    @Test func markdownEscapesAHostileLabel() {
        let md = MarkdownReport.render(input)
        #expect(!md.contains("<script>") && !md.contains("<img"))
        #expect(md.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt; \\| \\*bold\\* &amp; 'quote' (no DVE)"))
    }

    @Test func htmlHasEverySectionAndNothingExternal() {
        let html = HTMLReport.render(input)
        for id in HTMLReport.sectionIDs { #expect(html.contains("<section id=\"\(id)\">"), "section \(id)") }
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img src=x"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; | *bold* &amp; &#39;quote&#39;"))
        #expect(html.contains("bad &lt;img src=x onerror=alert(1)&gt; file"))
        #expect(!html.lowercased().contains("url("))
        for attribute in ["src=\"", "href=\""] {
            for range in html.ranges(of: attribute) {
                let value = html[range.upperBound...].prefix(6)
                #expect(value.hasPrefix("data:") || value.hasPrefix("#"), "\(attribute)\(value)")
            }
        }
    }

    @Test func htmlEmbedsEveryFigureAsDecodablePNG() throws {
        let html = HTMLReport.render(input)
        // 3 match figures (one composed picture each) + 2 models × (input, PCA).
        let prefix = "data:image/png;base64,"
        let uris = html.ranges(of: prefix).map { r in html[r.upperBound...].prefix { $0 != "\"" } }
        #expect(uris.count == 7)
        #expect(section("matches", of: html).ranges(of: prefix).count == 3)
        #expect(section("embeddings", of: html).ranges(of: prefix).count == 4)
        for uri in uris {
            let bytes = try #require(Data(base64Encoded: String(uri)))
            let image = try ImageCodec.decode([UInt8](bytes))
            #expect(image.width > 0 && image.height > 0)
        }
    }

    @Test func chartsHaveOneBarPerComparedNumber() throws {
        let html = HTMLReport.render(input)
        // Deltas: T02 iod, T01-16d same+different, S01 same+different, T17 iod.
        #expect(section("deltas", of: html).ranges(of: "class=\"bar\"").count == 6)
        #expect(section("deltas", of: html).ranges(of: "class=\"band\"").count == 6)
        // Architectures (no Hourglass): same and different identity on MAFL, smallnet 3d and 16d DVE; iod_error
        // only 16d DVE (the T17 limited-annotation row measures something else).
        let arch = section("architectures", of: html)
        #expect(arch.ranges(of: "<svg").count == 3)
        #expect(arch.ranges(of: "class=\"bar\"").count == 5)
        #expect(arch.contains("smallnet 3d") && arch.contains("smallnet 16d DVE") && arch.contains("No Hourglass row ran"))
        #expect(arch.contains("same_identity (px)"))
        for svg in svgs(in: html) {
            #expect(svg.contains("viewBox=\"0 0 "))
            #expect(isWellFormedXML(svg), "not well-formed: \(svg.prefix(200))")
        }
    }

    @Test func hourglassRowsSwitchTheArchitectureChart() {
        var input = input
        let id = "T01/hourglass-64d-dve/matching"
        input.manifests[id] = ReportFixtures.manifest(id, short: "T01", row: "hourglass", architecture: "hourglass",
                                                      dim: 64, dve: true)
        input.rows.append(RowResult(id: id, manifestSHA256: "00", status: .finished,
                                    metrics: [MetricValue(name: "same_identity", value: 0.95)], mode: "checkpoint",
                                    scale: "paper", dataSource: "synthfaces"))
        let arch = section("architectures", of: HTMLReport.render(input))
        #expect(arch.contains("SmallNet against the stacked Hourglass"))
        // same_identity on MAFL: smallnet 3d, smallnet 16d DVE, hourglass; no Hourglass group for the others.
        #expect(arch.ranges(of: "class=\"bar\"").count == 3)
        #expect(arch.contains("hourglass 64d DVE"))
    }

    @Test func writerWritesBothFilesAtomically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)/nested")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let urls = try ReportWriter.write(input, to: dir)
        #expect(try String(contentsOf: urls.markdown, encoding: .utf8) == MarkdownReport.render(input))
        #expect(try String(contentsOf: urls.html, encoding: .utf8) == HTMLReport.render(input))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["report.html", "report.md"])
        let blocked = dir.appendingPathComponent("report.md/inside")
        #expect(throws: ReportError.self) { try ReportWriter.write(input, to: blocked) }
    }

    // MARK: Helpers

    private func section(_ id: String, of html: String) -> Substring {
        guard let start = html.range(of: "<section id=\"\(id)\">"),
              let end = html.range(of: "</section>", range: start.upperBound..<html.endIndex) else { return "" }
        return html[start.lowerBound..<end.upperBound]
    }

    private func svgs(in html: String) -> [String] {
        html.ranges(of: "<svg").compactMap { r in
            html.range(of: "</svg>", range: r.lowerBound..<html.endIndex).map { String(html[r.lowerBound..<$0.upperBound]) }
        }
    }

    private func isWellFormedXML(_ text: String) -> Bool {
        #if canImport(FoundationXML) || canImport(Darwin)
        return XMLParser(data: Data(text.utf8)).parse()
        #else
        return text.ranges(of: "<svg").count == text.ranges(of: "</svg>").count
        #endif
    }
}
