import Foundation

/// Builds the manifest of every row of `paper-tables.json` from the row and the reference recipes
/// (`training.md` §2, `protocols.md`). The 164 files under `manifests/` are this generator's output and
/// are never edited by hand: `dvebench manifests generate` rewrites them, `dvebench manifests check`
/// (and the tests) fail when they differ from it.
public enum ManifestGenerator {
    /// One generated file: where it goes (relative to the manifests folder) and what it says.
    public struct Output: Sendable, Equatable {
        public var relativePath: String
        public var manifest: Manifest
        public var yaml: String
    }

    /// Folder name of each table: its short id and a readable slug. A table not listed here (a new
    /// one in the JSON) falls back to its full `table_id`.
    static let tableFolders: [String: String] = [
        "S01": "S01-seed-matching-mafl", "S02": "S02-seed-mafl-regression",
        "T01": "T01-learned-embeddings", "T02": "T02-mafl-regression", "T03": "T03-300w-regression",
        "T04": "T04-aflw-r-regression", "T05": "T05-aflw-m-regression",
        "T06": "T06-dve-ablation-matching", "T07": "T07-dve-ablation-mafl-regression",
        "T08": "T08-dve-ablation-300w-regression", "T09": "T09-dve-ablation-aflw-m-regression",
        "T10": "T10-dve-ablation-aflw-r-regression", "T11": "T11-finetuning-ablation-aflw-m",
        "T12": "T12-finetuning-ablation-aflw-r", "T13": "T13-finetuning-ablation-300w",
        "T14": "T14-finetuning-matching-aflw-m", "T15": "T15-finetuning-matching-aflw-r",
        "T16": "T16-finetuning-matching-300w", "T17": "T17-limited-annotations-aflw-m",
        "R00": "R00-results-json-only",
    ]

    /// `<table folder>/<experiment>--<task>.yaml`.
    public static func relativePath(of row: PaperTableRow) -> String {
        let folder = tableFolders[row.tableShort] ?? row.tableID
        return "\(folder)/\(row.id.replacingOccurrences(of: "/", with: "--")).yaml"
    }

    /// Every row's manifest, in the JSON's row order. Throws when a row cannot be mapped (an unknown
    /// dataset name or task): the generator never guesses.
    public static func generate(_ tables: PaperTables) throws(PaperTablesError) -> [Output] {
        let context = Context(tables: tables)
        var outputs: [Output] = []
        for row in tables.rows {
            let manifest = try context.manifest(for: row)
            outputs.append(Output(relativePath: relativePath(of: row), manifest: manifest,
                                  yaml: ManifestYAMLWriter.document(manifest)))
        }
        return outputs
    }

    /// What the JSON knows across rows: parameter counts per model, runs by experiment and timestamp.
    struct Context {
        let tables: PaperTables
        let parametersByModel: [String: Int]

        init(tables: PaperTables) {
            self.tables = tables
            var parameters: [String: Int] = [:]
            for row in tables.rows { if let count = row.params { parameters[Self.modelName(row)] = count } }
            parametersByModel = parameters
        }

        static func modelName(_ row: PaperTableRow) -> String {
            "\(row.architecture)-\(row.embeddingDim)d" + (row.dve ? "-dve" : "")
        }

        func fail(_ row: PaperTableRow, _ problem: String) -> PaperTablesError {
            .invalidRow(file: "paper-tables.json", rowKey: row.rowKey, problem: problem)
        }

        func manifest(for row: PaperTableRow) throws(PaperTablesError) -> Manifest {
            guard ManifestVocabulary.architectures.contains(row.architecture) else {
                throw fail(row, "unknown architecture \(row.architecture)")
            }
            let evaluationSet = try datasetSlug(row.dataset, row)
            let kind: String
            switch row.task {
            case "matching": kind = "matching"
            case "regression": kind = "regression"
            case "regression-limited-annotations": kind = "limited-annotations"
            default: throw fail(row, "unknown task \(row.task)")
            }
            let geometry = Recipes.geometry(row.architecture)
            var finetune: FinetuneSpec?
            if row.finetuned {
                guard let target = row.finetuneDataset else { throw fail(row, "finetuned but no finetune_dataset") }
                let slug = try datasetSlug(target, row)
                finetune = FinetuneSpec(dataset: slug, recipe: Recipes.finetune(row, dataset: slug))
            }
            return Manifest(
                schema: ManifestVocabulary.schemaVersion, id: row.rowID,
                table: TableRef(id: row.tableID, short: row.tableShort, title: row.table,
                                row: row.displayGroup ?? "\(row.architecture)-\(row.embeddingDim)d", variant: row.variant),
                expected: expected(row),
                model: ModelSpec(architecture: row.architecture, embeddingDim: row.embeddingDim, dve: row.dve,
                                 parameters: row.params ?? parametersByModel[Self.modelName(row)],
                                 checkpoint: checkpoint(row), recipe: Recipes.celeba(row)),
                finetune: finetune,
                evaluation: EvaluationSpec(dataset: evaluationSet, split: "test", imwidth: geometry.imwidth, crop: geometry.crop),
                protocol: Recipes.protocol(kind: kind, row: row, evaluationSet: evaluationSet),
                metrics: ManifestTolerances.metrics(kind: kind, source: row.source),
                notes: notes(row))
        }

        func datasetSlug(_ name: String, _ row: PaperTableRow) throws(PaperTablesError) -> String {
            if name.hasPrefix("MAFL") { return "mafl" }
            if name.hasPrefix("AFLW_R") { return "aflw-r" }
            if name.hasPrefix("AFLW_M") { return "aflw-m" }
            if name.hasPrefix("300W") { return "300w" }
            throw fail(row, "unknown dataset '\(name)'")
        }

        func expected(_ row: PaperTableRow) -> ExpectedRef {
            let others = tables.rows.filter { $0.experiment == row.experiment && $0.task == row.task && $0.rowKey != row.rowKey }
            let alsoIn = others.map(\.rowID).sorted()
            return ExpectedRef(rowKey: row.rowKey, source: row.source, alsoIn: alsoIn.isEmpty ? nil : alsoIn, todo: row.isTodo)
        }

        static let modelsRoot = "/data/models/"

        /// The released weights behind the row's number. Seed-README rows link `model_best.pth`; when
        /// the final README links the same run, its `checkpoint-epoch<N>.pth` is used instead.
        func checkpoint(_ row: PaperTableRow) -> CheckpointRef? {
            guard let url = row.checkpointURL else { return nil }
            let contents = row.task == "matching" ? "embedding" : "embedding+regressor"
            var chosenURL = url, epoch = row.epoch
            var caveats: [String] = []
            if row.source == "seed-readme" {
                let sameRun = tables.rows.first {
                    $0.source != "seed-readme" && $0.experiment == row.experiment && $0.timestamp == row.timestamp
                        && $0.checkpointURL != nil
                }
                if let sameRun, let upstreamURL = sameRun.checkpointURL {
                    chosenURL = upstreamURL
                    epoch = sameRun.epoch
                    caveats.append("The seed README linked \(url); this is the final README's link for the same run.")
                    if row.architecture == "smallnet" {
                        caveats.append("SmallNet runs never wrote model_best.pth (monitor off; GitHub issue #3).")
                    }
                } else {
                    caveats.append("Linked by the seed README only. SmallNet runs never wrote model_best.pth (monitor off; GitHub issue #3) and no other checkpoint of this run is published, so this file is not expected to exist; use --mode train.")
                }
            }
            if row.experiment == "celeba-hourglass-64d-dve" {
                caveats.append("The published matching numbers were evaluated from model_best.pth (lowest validation loss on the MAFL test set, June-2019 trainer; protocols.md (a)); the final README links checkpoint-epoch100.pth, and which of the two the server holds is unknown.")
            }
            if row.task == "regression-limited-annotations" {
                caveats.append("Holds the regressor of the last seed only; the mean ± std needs the regressor retrained for every seed on this backbone.")
            }
            let file: String
            if let range = chosenURL.range(of: Self.modelsRoot) {
                file = String(chosenURL[range.upperBound...])
            } else {
                file = URL(string: chosenURL)?.path ?? chosenURL
            }
            return CheckpointRef(file: file, url: chosenURL, epoch: epoch, timestamp: row.timestamp, contents: contents,
                                 caveat: caveats.isEmpty ? nil : caveats.joined(separator: " "))
        }

        func notes(_ row: PaperTableRow) -> String? {
            var notes: [String] = []
            if let note = row.notes { notes.append(note.hasSuffix(".") ? note : note + ".") }
            if row.architecture == "hourglass" {
                notes.append("The released CelebA hourglass (0618_103501) was trained with June-2019 code (161 962 CelebA images including MAFL train, early stopping on the MAFL-test validation loss); model.recipe is the HEAD config (training.md §2.1).")
            }
            if row.task == "regression-limited-annotations" {
                notes.append("Seeds 0, 1, 2 are an assumption: the README says three runs and the --seeds value is not recorded (datasets.md §2).")
            }
            return notes.isEmpty ? nil : notes.joined(separator: " ")
        }
    }
}
