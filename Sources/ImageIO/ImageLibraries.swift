/// Versions of the image libraries, for the provenance of a results file.
public enum ImageLibraries {
    /// `libpng`: asked of the loaded library. `libjpeg-turbo`: the headers this build was compiled
    /// against, marked "(headers)", because TurboJPEG offers no run-time version call.
    public static var versions: [String: String] {
        ["libpng": LibPNG.version, "libjpeg-turbo": "\(TurboJPEG.headerVersion) (headers)"]
    }
}
