import Foundation
import Testing
import VisdropPNG

#if canImport(Glibc)
    import Glibc
#endif

/// A burst of images is filed in batches of at most 64, and each batch's PNGs are written into the
/// inodes of the sources an earlier batch filed (`FileRecycler`): the PNGs must be exactly
/// numpy's pixels and look like new files.
@Suite("recycled inodes, end to end")
struct ImageRecyclingEndToEndTests {
    @Test(
        "256 images in one burst: every PNG is numpy's pixels, ours, mode 0644 less the umask; later batches reuse filed sources' inodes"
    )
    func burstOfImages() throws {
        let workspace = try TestWorkspace()
        let count = 256
        // Each line: the staged source's inode, then its pixels.
        let staged = try Python.run(
            """
            import os, sys
            import numpy as np
            rng = np.random.default_rng(14)
            for k in range(int(sys.argv[2])):
                image = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
                path = os.path.join(sys.argv[1], f"img_{k}.npy")
                np.save(path, image)
                print(os.stat(path).st_ino, ",".join(map(str, image.ravel())))
            """, arguments: [workspace.staging, "\(count)"])
        let lines = staged.split(separator: "\n")
        try #require(lines.count == count)
        let sourceInodes = Set(lines.compactMap { $0.split(separator: " ").first.flatMap { UInt64($0) } })
        let agent = try AgentProcess(workspace.watchArguments(logLevel: "info"), logPath: workspace.log)
        try agent.waitUntilWatching()
        try FileManager.default.createDirectory(
            atPath: workspace.drop + "/run", withIntermediateDirectories: true)
        // Queued while the agent is stopped: it finds the whole burst at once.
        try agent.whilePaused {
            for k in 0..<count {
                try workspace.moveIntoDrop(workspace.staging + "/img_\(k).npy", as: "run/img_\(k).npy")
            }
        }
        let images = workspace.out + "/run/vis_image"
        try eventually("\(count) PNGs; log:\n\(agent.log.suffix(3000))", deadline: 300) {
            (try? FileManager.default.contentsOfDirectory(atPath: images).count) == count
                && workspace.visibleDropFiles().isEmpty
        }
        let mask = umask(0o022)
        umask(mask)
        var reused = 0
        for (k, line) in lines.enumerated() {
            let png = images + "/img_\(k).png"
            var info = stat()
            try #require(lstat(png, &info) == 0)
            if sourceInodes.contains(UInt64(info.st_ino)) { reused += 1 }
            #expect(info.st_mode & 0o7777 == 0o644 & ~mask, "img_\(k).png mode")
            #expect(info.st_uid == geteuid() && info.st_nlink == 1, "img_\(k).png owner and links")
            let decoded = try PNGDecoder.decode(try workspace.bytes(png))
            #expect(decoded.width == 32 && decoded.height == 24 && decoded.channels == 3)
            let pixels = String(line.split(separator: " ")[1])
            #expect(decoded.samples == .eightBit(try pixelValues(pixels)), "img_\(k).png")
        }
        // The first batch makes new files; a later batch reuses the filed sources of the one
        // before unless the trash was swept between them (filing paused for 100 ms).
        #expect(reused > 0, "no PNG took a filed source's inode")
        #expect(!workspace.exists(workspace.drop + "/.rejected"), "rejected: \(agent.log.suffix(2000))")
        #expect(try agent.terminate() == 0)
    }
}
