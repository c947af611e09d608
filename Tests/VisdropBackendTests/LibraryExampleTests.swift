import Foundation
import Testing
import VisdropBackend

// This file imports VisdropBackend and nothing else of visdrop's on purpose: it is the README's
// library example ("The library"), and it compiles only while `import VisdropBackend` alone
// brings everything the example and the backend's API use (the array, the values, the options,
// the errors). Keep it in step with the README.

/// The README's library example, run into a temporary folder.
@Suite("The README's library example")
struct LibraryExampleTests {
    @Test("compiles with `import VisdropBackend` alone and writes mmengine's layout")
    func readmeExample() throws {
        let directory = try TemporaryDirectory()
        let saveDirectory = directory.path + "/work_dirs/run1"
        let npyBytes = NPYWriter.encode(
            try NPYArray(shape: [4, 6, 3], elements: [UInt8](repeating: 200, count: 4 * 6 * 3)))

        // The README's example, with the save directory in the temporary folder.
        let backend = try LocalVisBackend(saveDirectory: saveDirectory)  // same defaults as mmengine
        try backend.addScalar(name: "mAP", value: 0.6, step: 0)
        try backend.addScalars(["loss": 0.3, "acc": 0.9], step: 1)
        try backend.addScalars(["val_acc": 0.91], step: 12, filePath: "val.json")
        try backend.addImage(name: "sample", image: try NPYReader().read(npyBytes), step: 2)
        try backend.addConfig(["model": ["type": "ResNet", "depth": 50], "lr": 0.02])

        #expect(
            try text(saveDirectory + "/scalars.json")
                == """
                {"mAP": 0.6, "step": 0}
                {"loss": 0.3, "acc": 0.9, "step": 1}
                {"val_acc": 0.91, "step": 12}

                """)
        #expect(try text(saveDirectory + "/val.json") == "{\"val_acc\": 0.91, \"step\": 12}\n")
        let image = try PNGDecoder.decode(try bytes(saveDirectory + "/vis_image/sample_2.png"))
        #expect(image.width == 6 && image.height == 4 && image.layout == .rgb)
        #expect(try text(saveDirectory + "/config.py").contains("lr = 0.02"))
    }

    @Test("the options and the errors the API names need no further import")
    func optionsAndErrors() throws {
        let directory = try TemporaryDirectory()
        let options = LocalVisBackendOptions(durable: true, pngEncoder: PNGEncoder(compressionLevel: 3))
        let backend = try LocalVisBackend(saveDirectory: directory.path, options: options)
        try backend.addImage(
            name: "gray",
            pixels: try PixelImage(width: 2, height: 1, layout: .gray, samples: .eightBit([0, 255])))

        // A file where the save directory's image folder should be: the write fails.
        try Data().write(to: URL(fileURLWithPath: directory.path + "/blocked"))
        let blocked = try LocalVisBackend(saveDirectory: directory.path + "/blocked")
        let failure = try #require(throws: LocalVisBackendError.self) {
            try blocked.addScalar(name: "loss", value: 1, step: 0)
        }
        guard case .fileSystem(let fileSystemError) = failure else {
            Issue.record("expected a file-system error, got \(failure)")
            return
        }
        let underlying: FileSystemError = fileSystemError
        #expect(underlying.path.contains("blocked"))

        let unwritable = try #require(throws: LocalVisBackendError.self) {
            try backend.addConfig(["filename": "run.py"])
        }
        guard case .config(let configError) = unwritable else {
            Issue.record("expected a config error, got \(unwritable)")
            return
        }
        let reason: ConfigTextError = configError
        #expect(!reason.description.isEmpty)
    }

    private func text(_ path: String) throws -> String {
        String(decoding: try bytes(path), as: UTF8.self)
    }
}
