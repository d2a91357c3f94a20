/// Mean matching error per landmark, per matching row: where a model fails (the eyes, the nose, the
/// mouth corners), which the two per-row means hide.
public struct LandmarkErrorRow: Sendable {
    public var id: String
    public var label: String
    public var names: [String]
    public var same: [Double]
    public var different: [Double]
}

public enum ReportLandmarks {
    /// Every finished row that stored its per-keypoint results, in input order.
    public static func rows(_ input: ReportInput) -> [LandmarkErrorRow] {
        input.rows.compactMap { row in
            guard row.status == .finished, let keypoints = row.keypoints, keypoints.pairs > 0 else { return nil }
            let means = keypoints.perKeypointMeans
            return LandmarkErrorRow(id: row.id, label: ReportTables.label(row: row.id, manifest: input.manifests[row.id]),
                                    names: MatchingKeypoints.names(count: keypoints.keypoints),
                                    same: means.map(\.same), different: means.map(\.different))
        }
    }

    static func markdown(_ rows: [LandmarkErrorRow]) -> [String] {
        guard !rows.isEmpty else { return [] }
        var lines = ["## Per-landmark errors", "",
                     "Mean pixel error of each landmark over the pairs (70-pixel crop), same identity / different identity.", ""]
        for group in groupedBySize(rows) {
            lines.append("| row | " + group[0].names.joined(separator: " | ") + " |")
            lines.append("| --- |" + String(repeating: " ---: |", count: group[0].names.count))
            for row in group {
                let cells = zip(row.same, row.different).map { ReportFormat.fixed($0, decimals: 2) + " / " + ReportFormat.fixed($1, decimals: 2) }
                lines.append("| \(ReportEscape.markdown(row.label)) | " + cells.joined(separator: " | ") + " |")
            }
            lines.append("")
        }
        return lines
    }

    static func html(_ rows: [LandmarkErrorRow]) -> String {
        guard !rows.isEmpty else { return "<p>No matching row stored per-keypoint results.</p>\n" }
        var body = "<p class=\"note\">Mean pixel error of each landmark over the pairs (70-pixel crop): same identity / different identity.</p>\n"
        for group in groupedBySize(rows) {
            body += "<table class=\"results\"><thead><tr><th>row</th>"
            body += group[0].names.map { "<th>\(ReportEscape.html($0))</th>" }.joined()
            body += "</tr></thead>\n<tbody>\n"
            for row in group {
                body += "<tr title=\"\(ReportEscape.html(row.id))\"><th class=\"label\">\(ReportEscape.html(row.label))</th>"
                let worst = row.different.max() ?? 0
                for (same, different) in zip(row.same, row.different) {
                    let mark = different == worst && row.different.count > 1 ? " class=\"num v-regression\"" : " class=\"num\""
                    body += "<td\(mark)>\(ReportFormat.fixed(same, decimals: 2)) / \(ReportFormat.fixed(different, decimals: 2))</td>"
                }
                body += "</tr>\n"
            }
            body += "</tbody></table>\n"
        }
        return body
    }

    /// Rows with the same landmark count share a table (5-point sets apart from 68-point 300-W).
    private static func groupedBySize(_ rows: [LandmarkErrorRow]) -> [[LandmarkErrorRow]] {
        var order: [Int] = []
        var groups: [Int: [LandmarkErrorRow]] = [:]
        for row in rows {
            if groups[row.names.count] == nil { order.append(row.names.count) }
            groups[row.names.count, default: []].append(row)
        }
        return order.map { groups[$0] ?? [] }
    }
}
