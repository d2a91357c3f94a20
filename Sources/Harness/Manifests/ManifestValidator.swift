import Foundation

/// The rules a decoded manifest must follow beyond its types (`docs/manifests.md`). Every broken rule
/// is reported, each with the field it concerns; `ManifestLoader` turns fields into lines.
struct ManifestValidator {
    struct Problem: Equatable {
        var field: ManifestFieldPath
        var kind: ManifestIssue.Kind
        var message: String
    }

    private(set) var problems: [Problem] = []
    /// `expected/eval-warps`; nil skips the check that the named warps file exists.
    let warpsDirectory: URL?

    static func problems(in manifest: Manifest, warpsDirectory: URL?) -> [Problem] {
        var validator = ManifestValidator(warpsDirectory: warpsDirectory)
        validator.check(manifest)
        return validator.problems
    }

    // MARK: - Rule helpers

    private mutating func fail(_ field: String, _ message: String, kind: ManifestIssue.Kind = .invalidValue) {
        problems.append(Problem(field: ManifestFieldPath(dotted: field), kind: kind, message: message))
    }

    private mutating func require(_ ok: Bool, _ field: String, _ message: @autoclosure () -> String) {
        if !ok { fail(field, message()) }
    }

    private mutating func oneOf(_ value: String, _ allowed: [String], _ field: String) {
        require(allowed.contains(value), field, "'\(value)' is not one of \(allowed.joined(separator: ", "))")
    }

    private mutating func positive(_ value: Int, _ field: String) {
        require(value > 0, field, "must be positive, is \(value)")
    }

    private mutating func finiteNonNegative(_ value: Double, _ field: String) {
        require(value.isFinite && value >= 0, field, "must be finite and ≥ 0, is \(value)")
    }

    private mutating func present<T>(_ value: T?, _ field: String, because reason: String) {
        if value == nil { fail(field, "is required \(reason)", kind: .missingField) }
    }

    private mutating func absent<T>(_ value: T?, _ field: String, because reason: String) {
        if value != nil { fail(field, "must not be set \(reason)") }
    }

    private mutating func nonEmpty(_ value: String, _ field: String) {
        require(!value.trimmingCharacters(in: .whitespaces).isEmpty, field, "must not be empty")
    }

    // MARK: - Rules

    private mutating func check(_ m: Manifest) {
        require(m.schema == ManifestVocabulary.schemaVersion, "schema",
                "is \(m.schema); this build reads schema \(ManifestVocabulary.schemaVersion)")
        checkTable(m)
        checkExpected(m)
        checkModel(m.model, protocolKind: m.protocol.kind)
        if let finetune = m.finetune {
            oneOf(finetune.dataset, ManifestVocabulary.finetuneDatasets, "finetune.dataset")
            checkRecipe(finetune.recipe, "finetune.recipe", architecture: m.model.architecture, dve: m.model.dve)
            require(finetune.recipe.dataset == finetune.dataset, "finetune.recipe.dataset",
                    "is '\(finetune.recipe.dataset)' but finetune.dataset is '\(finetune.dataset)'")
            require(finetune.dataset == m.evaluation.dataset, "finetune.dataset",
                    "is '\(finetune.dataset)': fine-tuning is on the evaluation set '\(m.evaluation.dataset)'")
        }
        checkEvaluation(m)
        checkProtocol(m)
        checkMetrics(m)
    }

    private mutating func checkTable(_ m: Manifest) {
        let short = m.table.short
        require(short.count == 3 && short.first.map { $0.isUppercase } == true && short.dropFirst().allSatisfy(\.isNumber),
                "table.short", "'\(short)' is not a short table id like T01")
        require(m.table.id.hasPrefix(short + "-"), "table.id", "'\(m.table.id)' does not start with '\(short)-'")
        nonEmpty(m.table.title, "table.title")
        nonEmpty(m.table.row, "table.row")
        if let variant = m.table.variant { oneOf(variant, ManifestVocabulary.variants, "table.variant") }
        let parts = m.id.split(separator: "/", omittingEmptySubsequences: false)
        require(parts.count == 3 && parts[0] == short && parts.allSatisfy { !$0.isEmpty && !$0.contains(" ") }, "id",
                "'\(m.id)' is not '\(short)/<experiment>/<task>'")
    }

    private mutating func checkExpected(_ m: Manifest) {
        oneOf(m.expected.source, ManifestVocabulary.sources, "expected.source")
        let parts = m.expected.rowKey.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        if parts.count != 3 {
            fail("expected.row_key", "'\(m.expected.rowKey)' is not '<source>|<table id>|<experiment>/<task>'")
        } else {
            require(parts[0] == m.expected.source, "expected.row_key", "names source '\(parts[0])' but expected.source is '\(m.expected.source)'")
            require(parts[1] == m.table.id, "expected.row_key", "names table '\(parts[1])' but table.id is '\(m.table.id)'")
            require("\(m.table.short)/\(parts[2])" == m.id, "expected.row_key", "names row '\(parts[2])' but id is '\(m.id)'")
        }
        for (index, other) in (m.expected.alsoIn ?? []).enumerated() {
            require(other.split(separator: "/").count == 3 && other != m.id, "expected.also_in[\(index)]",
                    "'\(other)' is not another row id")
        }
    }

    private mutating func checkModel(_ model: ModelSpec, protocolKind: String) {
        oneOf(model.architecture, ManifestVocabulary.architectures, "model.architecture")
        positive(model.embeddingDim, "model.embedding_dim")
        if let parameters = model.parameters { positive(parameters, "model.parameters") }
        if let checkpoint = model.checkpoint {
            let file = checkpoint.file
            require(!file.isEmpty && !file.hasPrefix("/") && !file.split(separator: "/").contains(".."), "model.checkpoint.file",
                    "'\(file)' must be a relative path without '..'")
            require(file.hasSuffix(".pth"), "model.checkpoint.file", "'\(file)' is not a .pth file")
            require((checkpoint.url.hasPrefix("http://") || checkpoint.url.hasPrefix("https://")) && checkpoint.url.hasSuffix("/" + file),
                    "model.checkpoint.url", "'\(checkpoint.url)' must be an http(s) URL ending in /\(file)")
            if let epoch = checkpoint.epoch {
                positive(epoch, "model.checkpoint.epoch")
                require(file.hasSuffix("checkpoint-epoch\(epoch).pth"), "model.checkpoint.epoch",
                        "is \(epoch) but the file is \(file)")
            }
            if let timestamp = checkpoint.timestamp {
                require(file.split(separator: "/").contains(Substring(timestamp)), "model.checkpoint.timestamp",
                        "'\(timestamp)' is not a folder of \(file)")
            }
            oneOf(checkpoint.contents, ManifestVocabulary.checkpointContents, "model.checkpoint.contents")
            let wanted = protocolKind == "matching" ? "embedding" : "embedding+regressor"
            if ManifestVocabulary.protocolKinds.contains(protocolKind) {
                require(checkpoint.contents == wanted, "model.checkpoint.contents",
                        "is '\(checkpoint.contents)' but a \(protocolKind) run's checkpoint holds '\(wanted)'")
            }
        }
        checkRecipe(model.recipe, "model.recipe", architecture: model.architecture, dve: model.dve)
        require(model.recipe.dataset == "celeba", "model.recipe.dataset",
                "is '\(model.recipe.dataset)': every embedding here is trained on celeba first")
    }

    private mutating func checkRecipe(_ recipe: RecipeSpec, _ at: String, architecture: String, dve: Bool) {
        require(recipe.config.hasPrefix("configs/") && recipe.config.hasSuffix(".json"), "\(at).config",
                "'\(recipe.config)' is not a configs/…/*.json path")
        oneOf(recipe.dataset, ManifestVocabulary.trainingDatasets, "\(at).dataset")
        oneOf(recipe.loss, ManifestVocabulary.losses, "\(at).loss")
        require(recipe.loss.hasSuffix("_dve") == dve, "\(at).loss", "'\(recipe.loss)' contradicts model.dve = \(dve)")
        positive(recipe.batchPairs, "\(at).batch_pairs")
        positive(recipe.epochs, "\(at).epochs")
        finiteNonNegative(recipe.learningRate, "\(at).learning_rate")
        if let bias = recipe.biasLearningRate { finiteNonNegative(bias, "\(at).bias_learning_rate") }
        finiteNonNegative(recipe.weightDecay, "\(at).weight_decay")
        require(recipe.seed >= 0, "\(at).seed", "must be ≥ 0, is \(recipe.seed)")
        checkSchedule(recipe.schedule, "\(at).schedule", epochs: recipe.epochs)
        checkGeometry(imwidth: recipe.imwidth, crop: recipe.crop, at, architecture: architecture)
    }

    private mutating func checkSchedule(_ schedule: ScheduleSpec, _ at: String, epochs: Int?) {
        oneOf(schedule.kind, ManifestVocabulary.scheduleKinds, "\(at).kind")
        switch schedule.kind {
        case "multistep":
            present(schedule.milestones, "\(at).milestones", because: "for a multistep schedule")
            present(schedule.gamma, "\(at).gamma", because: "for a multistep schedule")
            absent(schedule.stepSize, "\(at).step_size", because: "for a multistep schedule")
            let milestones = schedule.milestones ?? []
            require(milestones.allSatisfy { $0 > 0 } && zip(milestones, milestones.dropFirst()).allSatisfy { $0 < $1 },
                    "\(at).milestones", "\(milestones) must be positive and increasing")
            if let epochs, let last = milestones.last {
                require(last < epochs, "\(at).milestones", "\(milestones) must lie before the last epoch \(epochs)")
            }
        case "step":
            present(schedule.stepSize, "\(at).step_size", because: "for a step schedule")
            present(schedule.gamma, "\(at).gamma", because: "for a step schedule")
            absent(schedule.milestones, "\(at).milestones", because: "for a step schedule")
            if let size = schedule.stepSize { positive(size, "\(at).step_size") }
        case "constant":
            absent(schedule.milestones, "\(at).milestones", because: "for a constant schedule")
            absent(schedule.stepSize, "\(at).step_size", because: "for a constant schedule")
            absent(schedule.gamma, "\(at).gamma", because: "for a constant schedule")
        default:
            break
        }
        if let gamma = schedule.gamma {
            require(gamma.isFinite && gamma > 0 && gamma <= 1, "\(at).gamma", "must lie in (0, 1], is \(gamma)")
        }
    }

    /// The network input is `imwidth − 2·crop`: SmallNet halves it once (max-pool), the Hourglass
    /// down-samples it 32-fold in total (stem ×4, then three ×2 in the hourglass), so it must divide.
    private mutating func checkGeometry(imwidth: Int, crop: Int, _ at: String, architecture: String) {
        positive(imwidth, "\(at).imwidth")
        require(crop >= 0, "\(at).crop", "must be ≥ 0, is \(crop)")
        let input = imwidth - 2 * crop
        guard imwidth > 0, crop >= 0 else { return }
        require(input > 0, "\(at).crop", "leaves no image: imwidth \(imwidth) − 2·\(crop) = \(input)")
        if architecture == "hourglass" {
            require(input > 0 && input % 32 == 0, "\(at).crop", "imwidth − 2·crop = \(input) must be divisible by 32 for the hourglass")
        } else if architecture == "smallnet" {
            require(input > 0 && input % 2 == 0, "\(at).crop", "imwidth − 2·crop = \(input) must be even for SmallNet")
        }
    }

    private mutating func checkEvaluation(_ m: Manifest) {
        let evaluation = m.evaluation
        oneOf(evaluation.dataset, ManifestVocabulary.evaluationDatasets, "evaluation.dataset")
        oneOf(evaluation.split, ManifestVocabulary.splits, "evaluation.split")
        checkGeometry(imwidth: evaluation.imwidth, crop: evaluation.crop, "evaluation", architecture: m.model.architecture)
        // The evaluated network sees what it was trained on: the geometry of its last training stage.
        let trained = m.finetune?.recipe ?? m.model.recipe
        require(evaluation.imwidth == trained.imwidth && evaluation.crop == trained.crop, "evaluation.imwidth",
                "\(evaluation.imwidth)/\(evaluation.crop) differs from the embedding's \(trained.imwidth)/\(trained.crop) (imwidth/crop)")
    }

    private mutating func checkProtocol(_ m: Manifest) {
        let p = m.protocol
        oneOf(p.kind, ManifestVocabulary.protocolKinds, "protocol.kind")
        if let config = p.config {
            require(config.hasPrefix("configs/") && config.hasSuffix(".json"), "protocol.config", "'\(config)' is not a configs/…/*.json path")
        }
        let reason = "for protocol '\(p.kind)'"
        switch p.kind {
        case "matching":
            present(p.warps, "protocol.warps", because: reason)
            present(p.stride, "protocol.stride", because: reason)
            for (value, field) in [(p.epochs, "epochs"), (p.batchSize, "batch_size"), (p.annotations, "annotations")] {
                absent(value, "protocol.\(field)", because: reason)
            }
            absent(p.learningRate, "protocol.learning_rate", because: reason)
            absent(p.weightDecay, "protocol.weight_decay", because: reason)
            absent(p.schedule, "protocol.schedule", because: reason)
            absent(p.seeds, "protocol.seeds", because: reason)
            if let stride = p.stride { positive(stride, "protocol.stride") }
            if let warps = p.warps {
                let expected = ManifestVocabulary.warpsFiles[m.evaluation.dataset]
                require(expected == nil || warps == expected, "protocol.warps",
                        "is '\(warps)' but the warps of \(m.evaluation.dataset) are \(expected ?? "")")
                if let warpsDirectory {
                    let url = warpsDirectory.appendingPathComponent(warps)
                    require(!warps.contains("/") && FileManager.default.fileExists(atPath: url.path), "protocol.warps",
                            "'\(warps)' does not exist under \(warpsDirectory.path)")
                }
            }
        case "regression", "limited-annotations":
            absent(p.warps, "protocol.warps", because: reason)
            absent(p.stride, "protocol.stride", because: reason)
            present(p.epochs, "protocol.epochs", because: reason)
            present(p.batchSize, "protocol.batch_size", because: reason)
            present(p.learningRate, "protocol.learning_rate", because: reason)
            present(p.weightDecay, "protocol.weight_decay", because: reason)
            present(p.schedule, "protocol.schedule", because: reason)
            if let epochs = p.epochs { positive(epochs, "protocol.epochs") }
            if let batch = p.batchSize { positive(batch, "protocol.batch_size") }
            if let lr = p.learningRate { finiteNonNegative(lr, "protocol.learning_rate") }
            if let wd = p.weightDecay { finiteNonNegative(wd, "protocol.weight_decay") }
            if let schedule = p.schedule { checkSchedule(schedule, "protocol.schedule", epochs: p.epochs) }
            if p.kind == "regression" {
                absent(p.annotations, "protocol.annotations", because: reason)
                absent(p.seeds, "protocol.seeds", because: reason)
            } else {
                present(p.annotations, "protocol.annotations", because: reason)
                present(p.seeds, "protocol.seeds", because: reason)
                if let annotations = p.annotations { positive(annotations, "protocol.annotations") }
                if let seeds = p.seeds {
                    require(!seeds.isEmpty && seeds.allSatisfy { $0 >= 0 } && Set(seeds).count == seeds.count, "protocol.seeds",
                            "\(seeds) must be distinct seeds ≥ 0, at least one")
                }
            }
        default:
            break
        }
    }

    private mutating func checkMetrics(_ m: Manifest) {
        let wanted = ManifestVocabulary.metrics(for: m.protocol.kind)
        if !wanted.isEmpty {
            require(m.metrics.map(\.name) == wanted.map(\.name), "metrics",
                    "are [\(m.metrics.map(\.name).joined(separator: ", "))]; protocol '\(m.protocol.kind)' reports [\(wanted.map(\.name).joined(separator: ", "))]")
        }
        for (index, metric) in m.metrics.enumerated() {
            let at = "metrics[\(index)]"
            oneOf(metric.name, ManifestVocabulary.metricNames, "\(at).name")
            oneOf(metric.unit, ManifestVocabulary.units, "\(at).unit")
            oneOf(metric.better, ManifestVocabulary.polarities, "\(at).better")
            oneOf(metric.statistic, ManifestVocabulary.statistics, "\(at).statistic")
            if let spec = wanted.first(where: { $0.name == metric.name }) {
                require(metric.unit == spec.unit, "\(at).unit", "is '\(metric.unit)'; \(metric.name) is in \(spec.unit)")
                require(metric.statistic == spec.statistic, "\(at).statistic",
                        "is '\(metric.statistic)'; protocol '\(m.protocol.kind)' reports '\(spec.statistic)'")
                require(metric.better == "lower", "\(at).better", "is '\(metric.better)'; \(metric.name) is an error")
            }
            checkTolerance(metric.tolerance, "\(at).tolerance")
            if let train = metric.trainTolerance {
                checkTolerance(train, "\(at).train_tolerance")
            } else {
                fail("\(at).train_tolerance", "is required (the tolerance of --mode train)", kind: .missingField)
            }
        }
    }

    private mutating func checkTolerance(_ tolerance: ToleranceSpec, _ at: String) {
        finiteNonNegative(tolerance.absolute, "\(at).absolute")
        finiteNonNegative(tolerance.relative, "\(at).relative")
        if let rule = tolerance.rule { nonEmpty(rule, "\(at).rule") } else {
            fail("\(at).rule", "is required (how the tolerance was chosen)", kind: .missingField)
        }
    }
}
