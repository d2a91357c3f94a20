import Foundation
import PackagePlugin

/// Writes `BuildCommit.swift` (`let buildCommit = "<sha>[-dirty]"` or `"unknown"`) into the
/// target before every build, so `dvebench --version` and provenance name the commit the binary was
/// built from, with plain `swift build` as with `make`.
///
/// A prebuild command, not a build command: a new commit changes no file SwiftPM tracks, so only a
/// step that runs on every build sees it. The file is rewritten only when its text changes, so an
/// unchanged commit recompiles nothing.
@main
struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
        let script = """
            set -e
            mkdir -p "$2"
            commit=$(git -C "$1" rev-parse HEAD 2>/dev/null) || commit=unknown
            if [ "$commit" != unknown ] && [ -n "$(GIT_OPTIONAL_LOCKS=0 git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
              commit="$commit-dirty"
            fi
            text="// Written by the BuildCommit plugin at build time (Plugins/BuildCommit); not in git.
            let buildCommit = \\"$commit\\""
            file="$2/BuildCommit.swift"
            if [ ! -f "$file" ] || [ "$(cat "$file")" != "$text" ]; then
              printf '%s\\n' "$text" > "$file.tmp" && mv "$file.tmp" "$file"
            fi
            """
        return [.prebuildCommand(displayName: "Recording the git commit of \(context.package.directoryURL.path)",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", script, "build-commit", context.package.directoryURL.path, output.path],
                                 outputFilesDirectory: output)]
    }
}
