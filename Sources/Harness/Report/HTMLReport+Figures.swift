import Foundation

/// The picture sections of the HTML report: match figures and embedding visualisations.
extension HTMLReport {
    /// A picture as an `<img>` with a base64 PNG data URI, or an error note if it cannot be encoded
    /// (a report is still worth having when one picture is broken).
    static func image(_ picture: RGBPicture, alt: String) -> String {
        do {
            let png = try picture.pngData()
            return "<img src=\"data:image/png;base64,\(Data(png).base64EncodedString())\" width=\"\(picture.width)\" "
                + "height=\"\(picture.height)\" alt=\"\(ReportEscape.html(alt))\">"
        } catch {
            return "<p class=\"error\">picture could not be encoded: \(ReportEscape.html("\(error)"))</p>"
        }
    }

    static func matchesSection(_ tables: [ReportTable]) -> String {
        let rows = tables.flatMap { table in table.rows.map { (table, $0) } }
            .filter { !($0.1.result.figures?.matches.isEmpty ?? true) }
        guard !rows.isEmpty else {
            return section("matches", "Matches", "<p>No matching row has match figures in this run.</p>\n")
        }
        func swatch(_ c: RGBPicture.Color) -> String {
            "<span class=\"swatch\" style=\"background:rgb(\(c.r),\(c.g),\(c.b))\"></span>"
        }
        var body = "<p class=\"legend\">Left: the source image with its query landmarks\(swatch(MatchFigures.sourceColor))"
            + "(disc). Right: the target image of another identity, with each landmark's true position"
            + "\(swatch(MatchFigures.trueColor))(×), the position its descriptor matched\(swatch(MatchFigures.matchedColor))"
            + "(disc), and the error between them\(swatch(MatchFigures.errorColor))(segment). Coordinates are "
            + "pixels of the cropped network input, enlarged without smoothing.</p>\n"
        for (table, row) in rows {
            body += "<h3>\(ReportEscape.html("\(table.short) · \(row.label)"))</h3>\n"
            for (k, figure) in (row.result.figures?.matches ?? []).enumerated() {
                let composed = MatchFigures.compose(figure)
                body += "<figure>\(image(composed, alt: "match figure \(k + 1) of \(row.id)"))<figcaption>"
                body += ReportEscape.html(caption(figure, index: k)) + "</figcaption></figure>\n"
            }
        }
        return section("matches", "Matches", body)
    }

    /// `Pair 1: 5 landmarks, mean distance matched–true 3.21 px.`
    static func caption(_ figure: MatchFigure, index: Int) -> String {
        let distances = zip(figure.matchedPoints, figure.truePoints).map { m, t in
            ((m.x - t.x) * (m.x - t.x) + (m.y - t.y) * (m.y - t.y)).squareRoot()
        }
        var text = "Pair \(index + 1): \(figure.sourcePoints.count) landmarks"
        if !distances.isEmpty {
            let mean = distances.reduce(0, +) / Double(distances.count)
            text += ", mean distance matched–true \(ReportFormat.fixed(mean, decimals: 2)) px of the "
                + "\(figure.target.width)×\(figure.target.height) image (before the protocol's rescaling to a 70-pixel crop)"
        }
        if figure.matchedPoints.count != figure.truePoints.count || figure.sourcePoints.count != figure.truePoints.count {
            text += "; the point lists differ in length (\(figure.sourcePoints.count) source, "
                + "\(figure.matchedPoints.count) matched, \(figure.truePoints.count) true)"
        }
        return text + "."
    }

    /// One figure per model (architecture, dimension, DVE, fine-tuning): the first row of it that
    /// carries an embedding picture, in table order.
    static func embeddingsSection(_ tables: [ReportTable]) -> String {
        var seen: Set<String> = []
        var body = ""
        for table in tables {
            for row in table.rows {
                guard let figures = row.result.figures, let pca = figures.embeddingPCA else { continue }
                let model = modelName(row)
                guard seen.insert(model).inserted else { continue }
                var pictures: [String] = []
                if let input = figures.embeddingInput {
                    pictures.append(image(input.upscaled(by: input.factor(toReach: 200)), alt: "input image of \(model)"))
                }
                pictures.append(image(pca.upscaled(by: pca.factor(toReach: 200)), alt: "PCA embedding of \(model)"))
                body += "<figure>\(pictures.joined(separator: " "))<figcaption>"
                body += ReportEscape.html("\(model) (from \(row.id)): "
                    + (figures.embeddingInput == nil ? "" : "input image and ")
                    + "the first three principal components of its \(pca.width)×\(pca.height) descriptor map as R, G, B, "
                    + "each min–max scaled.")
                body += "</figcaption></figure>\n"
            }
        }
        if body.isEmpty { body = "<p>No row carries an embedding picture in this run.</p>\n" }
        return section("embeddings", "Embeddings", body)
    }

    /// `smallnet 16d DVE, fine-tuned on aflw-m`, or the row id without a manifest.
    static func modelName(_ row: ReportRow) -> String {
        guard let manifest = row.manifest else { return row.id }
        var name = ReportCharts.seriesName(manifest.model)
        if let finetune = manifest.finetune { name += ", fine-tuned on \(finetune.dataset)" }
        return name
    }
}
