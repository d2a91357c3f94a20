import Foundation
import Tensors

/// CelebA/MAFL (`data/celeba`, datasets.md §3):
///
/// ```
/// Img/img_align_celeba_hq/<id>.jpg     178×218, quality 95 (what the reference reads by default)
/// Img/img_align_celeba/<id>.jpg        the same picture at quality 75 (use_hq_ims=False)
/// Anno/list_landmarks_align_celeba.txt line 1: N; line 2: the 10 column names; then
///                                      `<id>.jpg` + 10 integers, CelebA's `%5d` columns
/// Anno/identity_CelebA.txt             `<id>.jpg <person>` (1-based), as in CelebA (unused by DVE)
/// Eval/list_eval_partition.txt         `<id>.jpg <0|1|2>`
/// MAFL/training.txt, MAFL/testing.txt  one `<id>.jpg` per line, deliberately NOT in id order
/// ```
/// Ids run 000001…N. Partitions: the first N − 2⌊N/10⌋ ids are 0 (train), then ⌊N/10⌋ are 1
/// (val) and the last ⌊N/10⌋ are 2 (test) — like CelebA's 80/10/10. MAFL takes ids across all
/// partitions: id ≡ 7 (mod 10) → MAFL test, id ≡ 1 or 4 (mod 10) → MAFL train, except id 1 and id N,
/// which stay CelebA-only so the pruned train set and the pruned validation pool (partition 2 minus
/// MAFL) are never empty. With N ≥ 10 all five splits are non-empty.
///
/// Landmarks are rounded to integers (CelebA's file holds integers); `annotated` has the rounded
/// values. The image-left eye is `lefteye` (CelebA's convention: `lefteye_x < righteye_x`).
extension SynthTree {
    static let celebAColumns = "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y"

    /// Partition label (0/1/2) of 1-based id `id` among `count`.
    public static func celebAPartition(_ id: Int, count: Int) -> Int {
        let held = max(1, count / 10)
        return id <= count - 2 * held ? 0 : id <= count - held ? 1 : 2
    }

    /// `nil`, `"mafl-train"` or `"mafl-test"` for 1-based id `id`.
    public static func celebAMAFL(_ id: Int, count: Int) -> String? {
        guard id != 1, id != count else { return nil }
        switch id % 10 {
        case 7: return "mafl-test"
        case 1, 4: return "mafl-train"
        default: return nil
        }
    }

    static func celebAName(_ id: Int) -> String {
        let digits = String(id)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".jpg"
    }

    func celebAJobs() -> [SynthImageJob] {
        (1...count).map { id in
            let name = Self.celebAName(id)
            return SynthImageJob(path: "Img/img_align_celeba_hq/" + name, index: id - 1, framing: .celebAAligned,
                                 quality: 95, copies: [("Img/img_align_celeba/" + name, 75)])
        }
    }

    func celebAAnnotations(_ rendered: [SynthRendered]) -> SynthAnnotations {
        var notes = SynthAnnotations()
        var landmarkLines = [String(count), Self.celebAColumns]
        var partitionLines: [String] = [], identityLines: [String] = []
        var maflTrain: [String] = [], maflTest: [String] = []
        for (offset, item) in rendered.enumerated() {
            let id = offset + 1
            let name = Self.celebAName(id)
            let rounded = item.landmarks5.map { SynthPoint(x: $0.x.rounded(), y: $0.y.rounded()) }
            let values = rounded.flatMap { [Int($0.x), Int($0.y)] }
            landmarkLines.append(name + " " + values.map(Self.celebAColumn).joined())
            let partition = Self.celebAPartition(id, count: count)
            partitionLines.append("\(name) \(partition)")
            identityLines.append("\(name) \(item.identity + 1)")
            let mafl = Self.celebAMAFL(id, count: count)
            if mafl == "mafl-train" { maflTrain.append(name) }
            if mafl == "mafl-test" { maflTest.append(name) }
            let split = mafl ?? ["train", "val", "test"][partition]
            notes.items.append(SynthLayoutItem(
                path: item.job.path, split: split, group: "partition \(partition)", index: item.job.index,
                identity: item.identity, width: item.job.framing.width, height: item.job.framing.height, framing: item.job.framing,
                landmarks: item.landmarks5, landmarks68: item.landmarks68, annotated: rounded))
        }
        // The reference orders items by the partition file, never by the MAFL lists; listing them
        // in a seeded shuffle catches a loader that gets this wrong.
        var shuffle = SeededGenerator(seed: SeededGenerator.derive(seed, 0xCE1E))
        notes.text("Anno/list_landmarks_align_celeba.txt", landmarkLines)
        notes.text("Anno/identity_CelebA.txt", identityLines)
        notes.text("Eval/list_eval_partition.txt", partitionLines)
        notes.text("MAFL/training.txt", shuffle.permutation(maflTrain.count).map { maflTrain[$0] })
        notes.text("MAFL/testing.txt", shuffle.permutation(maflTest.count).map { maflTest[$0] })
        return notes
    }

    /// CelebA's landmark columns: right-aligned in 5 characters (`   69  109`).
    static func celebAColumn(_ value: Int) -> String {
        let digits = String(value)
        return String(repeating: " ", count: max(1, 5 - digits.count)) + digits
    }
}
