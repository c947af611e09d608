import Foundation
import Testing
import VisdropBackend
import VisdropJSON
import VisdropNPY
import VisdropPNG

/// The library face: mmengine's LocalVisBackend API, checked against what mmengine itself wrote.
@Suite("LocalVisBackend")
struct LocalVisBackendTests {
    @Test(
        "the reference add_scalars and add_scalar calls write mmengine's scalars.json and val.json byte for byte"
    )
    func referenceScalars() throws {
        let directory = try TemporaryDirectory()
        let backend = try LocalVisBackend(saveDirectory: directory.path)
        let fixtures = try fixturesPath() + "/scalars"
        for line in try lines(fixtures + "/calls.jsonl") {
            let call = try #require(try JSONParser().parse(line).objectValue)
            let record = try #require(call["record"]?.objectValue)
            let step = try #require(call["step"]?.integerValue?.intValue)
            try backend.addScalars(record, step: step, filePath: call["file_path"]?.stringValue)
        }
        for line in try lines(fixtures + "/add_scalar_calls.jsonl") {
            let call = try #require(try JSONParser().parse(line).objectValue)
            let name = try #require(call["name"]?.stringValue)
            let value = try #require(call["value"])
            let step = try #require(call["step"]?.integerValue?.intValue)
            try backend.addScalar(name: name, value: value, step: step)
        }
        #expect(
            try bytes(directory.path + "/scalars.json") == (try bytes(fixtures + "/expected/scalars.json")))
        #expect(try bytes(directory.path + "/val.json") == (try bytes(fixtures + "/expected/val.json")))
    }

    @Test("add_scalar with the name 'step' keeps one key, as Python's dict literal does")
    func scalarNamedStep() throws {
        let directory = try TemporaryDirectory()
        let backend = try LocalVisBackend(saveDirectory: directory.path)
        try backend.addScalar(name: "step", value: 0.5, step: 3)
        try backend.addScalar(name: "loss", value: 2, step: 4)
        let expected = try python(
            "import json; print(json.dumps({'step': 0.5, 'step': 3})); print(json.dumps({'loss': 2, 'step': 4}))"
        )
        #expect(String(decoding: try bytes(directory.path + "/scalars.json"), as: UTF8.self) == expected)
    }

    @Test("the reference arrays are saved as vis_image/{name}_{step}.png with mmengine's pixels")
    func referenceImages() throws {
        let directory = try TemporaryDirectory()
        let backend = try LocalVisBackend(saveDirectory: directory.path)
        let fixtures = try fixturesPath() + "/images"
        for name in ["tiny", "small", "wide"] {
            let array = try NPYReader().read(try bytes(fixtures + "/\(name)_2.npy"))
            let written = try backend.addImage(name: name, image: array, step: 2)
            #expect(written == directory.path + "/vis_image/\(name)_2.png")
            let ours = try PNGDecoder.decode(try bytes(directory.path + "/vis_image/\(name)_2.png"))
            let reference = try PNGDecoder.decode(try bytes(fixtures + "/expected/vis_image/\(name)_2.png"))
            #expect(ours == reference, "\(name): pixels differ from mmengine's PNG")
        }
    }

    @Test("add_config writes a config.py that mmengine's Config.fromfile loads back equal")
    func configLoadsBack() throws {
        let fixtures = try fixturesPath() + "/configs"
        for name in ["small", "detector", "toplevel_non_identifier"] {
            let directory = try TemporaryDirectory()
            let backend = try LocalVisBackend(saveDirectory: directory.path)
            let config = try #require(
                try JSONParser().parse(try bytes(fixtures + "/\(name).json")).objectValue)
            try backend.addConfig(config)
            let verdict = try python(
                """
                import json, sys
                from mmengine.config import Config
                loaded = Config.fromfile(sys.argv[1]).to_dict()
                expected = json.load(open(sys.argv[2]))
                print('equal' if loaded == expected else f'different: {loaded!r}')
                """, arguments: [directory.path + "/config.py", fixtures + "/\(name).json"])
            #expect(verdict == "equal\n", "\(name): \(verdict)")
        }
    }

    @Test("nothing is stored without a save directory, and directories are made lazily")
    func lazyAndNilSaveDirectory() throws {
        let none = try LocalVisBackend(saveDirectory: nil)
        try none.addScalar(name: "a", value: 1)
        #expect(
            try none.addImage(
                name: "x", image: try NPYArray(elementType: .uint8, shape: [1, 1, 3], data: [1, 2, 3])) == nil
        )

        let directory = try TemporaryDirectory()
        let run = directory.path + "/run"
        let backend = try LocalVisBackend(saveDirectory: run)
        #expect(!FileManager.default.fileExists(atPath: run), "nothing is made before the first call")
        #expect(try backend.experiment === backend)
        #expect(FileManager.default.fileExists(atPath: run))
        #expect(
            !FileManager.default.fileExists(atPath: run + "/vis_image"), "the image folder waits for an image"
        )
    }

    @Test("the constructor and add_scalars check file names as mmengine asserts them")
    func nameChecks() throws {
        #expect(throws: LocalVisBackendError.invalidConfigSaveFile("config.yaml")) {
            try LocalVisBackend(saveDirectory: "x", configSaveFile: "config.yaml")
        }
        #expect(throws: LocalVisBackendError.invalidScalarSaveFile("scalars.txt")) {
            try LocalVisBackend(saveDirectory: "x", scalarSaveFile: "scalars.txt")
        }
        let directory = try TemporaryDirectory()
        let backend = try LocalVisBackend(saveDirectory: directory.path)
        for bad in ["val.txt", "scalars.json", "../escape.json", "/abs.json"] {
            #expect(throws: LocalVisBackendError.self, "\(bad)") {
                try backend.addScalars(["a": 1], filePath: bad)
            }
        }
        #expect(
            !FileManager.default.fileExists(atPath: directory.path + "/scalars.json"),
            "a failed call writes nothing")
        #expect(throws: LocalVisBackendError.invalidImageName("a/b")) {
            try backend.addImage(
                name: "a/b", image: try NPYArray(elementType: .uint8, shape: [1, 1, 3], data: [1, 2, 3]))
        }
    }

    @Test("an image mmengine would refuse but visdrop converts: float CHW in [0, 1]")
    func floatChannelFirstImage() throws {
        let directory = try TemporaryDirectory()
        let source = directory.path + "/chw.npy"
        let expected = try python(
            """
            import numpy as np, sys
            rng = np.random.default_rng(7)
            a = rng.uniform(-0.2, 1.2, size=(3, 5, 6)).astype(np.float32)
            np.save(sys.argv[1], a)
            hwc = np.transpose(a, (1, 2, 0)).astype(np.float64)
            print(','.join(str(v) for v in np.floor(np.clip(hwc * 255 + 0.5, 0, 255)).astype(np.uint8).ravel()))
            """, arguments: [source])
        let backend = try LocalVisBackend(saveDirectory: directory.path)
        try backend.addImage(name: "chw", image: try NPYReader().read(try bytes(source)), step: 1)
        let decoded = try PNGDecoder.decode(try bytes(directory.path + "/vis_image/chw_1.png"))
        #expect(decoded.width == 6 && decoded.height == 5 && decoded.channels == 3)
        #expect(decoded.samples == .eightBit(try pixelValues(expected)))
    }
}

/// A fresh temporary folder, removed when the value goes away.
final class TemporaryDirectory {
    let path: String
    init() throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "visdrop-backend-\(UUID().uuidString)"
            ).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func fixturesPath() throws -> String {
    try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).path
}

func bytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func lines(_ path: String) throws -> [[UInt8]] {
    try bytes(path).split(separator: UInt8(ascii: "\n")).map(Array.init)
}

/// Runs python3 (numpy, json, mmengine: the ground truth) and returns its standard output.
func python(_ script: String, arguments: [String] = []) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(
        process.terminationStatus == 0,
        "python3 failed: run scripts/install-deps --test if a module is missing")
    return String(decoding: data, as: UTF8.self)
}

/// Parses the comma-separated pixel values a Python script printed.
func pixelValues(_ text: String) throws -> [UInt8] {
    try text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map {
        try #require(UInt8($0), "not a pixel value: \($0)")
    }
}
