import ImageIO

/// A grid of faces with their ground-truth landmarks drawn on, for eyeballing the generator and the
/// on-disk layouts (`dvebench synth --preview`). Faces are upscaled by an integer factor with
/// nearest neighbour so what is shown is exactly what was rendered.
public enum SynthContactSheet {
    public enum Points: Sendable {
        /// The 5 MAFL points: image-left eye red, image-right eye green, nose blue, image-left mouth
        /// corner yellow, image-right mouth corner magenta.
        case five
        /// The 68 iBUG points: jaw white, brows yellow, nose blue, image-left eye red, image-right
        /// eye green, mouth magenta; 36 and 45 (the inter-ocular pair) larger.
        case sixtyEight
    }

    /// One cell of the sheet: an image and its landmarks (pixels of that image).
    public struct Cell: Sendable {
        public var image: RGBImage
        public var landmarks: [SynthPoint]
        public init(image: RGBImage, landmarks: [SynthPoint]) { self.image = image; self.landmarks = landmarks }
    }

    /// Lays `cells` out row by row, `columns` per row, each in a box as large as the largest cell
    /// (smaller images sit at the box's top-left), `padding` grey pixels between boxes.
    /// `points` picks the colour scheme; a cell whose landmark count does not match it is drawn with
    /// white dots.
    public static func make(_ cells: [Cell], columns: Int, points: Points, scale: Int = 2, padding: Int = 4) -> RGBImage {
        let columns = max(1, columns), scale = max(1, scale), padding = max(0, padding)
        let rows = max(1, (cells.count + columns - 1) / columns)
        let cellWidth = (cells.map(\.image.width).max() ?? 1) * scale
        let cellHeight = (cells.map(\.image.height).max() ?? 1) * scale
        var sheet = RGBImage(width: padding + columns * (cellWidth + padding),
                             height: padding + rows * (cellHeight + padding), fill: (48, 48, 48))
        for (i, cell) in cells.enumerated() {
            var tile = cell.image.upscaled(by: scale)
            let colours = palette(points, count: cell.landmarks.count)
            let radius = points == .five ? 1.6 * Double(scale) : 0.9 * Double(scale)
            for (k, p) in cell.landmarks.enumerated() {
                let x = (p.x + 0.5) * Double(scale) - 0.5, y = (p.y + 0.5) * Double(scale) - 0.5
                let big = points == .sixtyEight && (k == 36 || k == 45)
                tile.drawDot(x: x, y: y, radius: big ? radius * 1.6 : radius, color: colours[k], outline: (0, 0, 0))
            }
            sheet.paste(tile, x: padding + (i % columns) * (cellWidth + padding),
                        y: padding + (i / columns) * (cellHeight + padding))
        }
        return sheet
    }

    /// Convenience: the first `columns·rows` items of `faces` with their 5- or 68-point landmarks.
    public static func make(_ faces: SynthFaces, columns: Int = 8, rows: Int = 6, points: Points,
                            scale: Int = 2) throws(SynthFacesError) -> RGBImage {
        var cells: [Cell] = []
        for index in 0..<min(faces.count, max(1, columns) * max(1, rows)) {
            let face = try faces.render(index: index)
            cells.append(Cell(image: face.image, landmarks: points == .five ? face.landmarks5 : face.landmarks68))
        }
        return make(cells, columns: columns, points: points, scale: scale)
    }

    static func palette(_ points: Points, count: Int) -> [RGBImage.Color] {
        let white: RGBImage.Color = (255, 255, 255)
        switch (points, count) {
        case (.five, 5):
            return [(255, 40, 40), (40, 230, 40), (60, 120, 255), (255, 230, 0), (255, 0, 255)]
        case (.sixtyEight, 68):
            return (0..<68).map { k -> RGBImage.Color in
                switch k {
                case 0...16: return white
                case 17...26: return (255, 230, 0)
                case 27...35: return (60, 120, 255)
                case 36...41: return (255, 40, 40)
                case 42...47: return (40, 230, 40)
                default: return (255, 0, 255)
                }
            }
        default:
            return Array(repeating: white, count: count)
        }
    }
}
