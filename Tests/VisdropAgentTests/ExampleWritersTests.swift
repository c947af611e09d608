import Foundation
import Testing
import VisdropPNG

/// The README's writers in other languages, run against the real binary.
@Suite("example writers")
struct ExampleWritersTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test("examples/python_writer.py: config, scalars, file_path and images all filed")
    func pythonWriter() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        let script = try String(contentsOfFile: Self.root + "/examples/python_writer.py", encoding: .utf8)
        _ = try Python.run(script, arguments: [workspace.drop, "py", "3"])
        let run = workspace.out + "/py"
        try eventually("the Python writer's files to be filed; log:\n\(agent.log)") {
            workspace.visibleDropFiles().isEmpty && workspace.exists(run + "/vis_image/sample_2.png")
                && workspace.text(run + "/scalars.json").split(separator: "\n").count == 6
        }
        let expectedScalars = try Python.run(
            """
            import json
            for step in range(3):
                print(json.dumps({"loss": 1.0 / (step + 1), "step": step}))
                print(json.dumps({"acc": step / 10, "step": step}))
            """)
        #expect(
            workspace.text(run + "/scalars.json").split(separator: "\n").sorted()
                == expectedScalars.split(separator: "\n").sorted())
        #expect(workspace.text(run + "/val.json").split(separator: "\n").count == 3)
        let loaded = try Python.run(
            "import sys; from mmengine.config import Config; print(Config.fromfile(sys.argv[1]).to_dict())",
            arguments: [run + "/config.py"])
        #expect(loaded == "{'lr': 0.02, 'model': {'depth': 50, 'type': 'ResNet'}}\n")
        let expectedPixels = try Python.run(
            """
            import numpy as np
            y, x = np.mgrid[0:32, 0:48]
            image = np.stack([x * 5, y * 7, np.full_like(x, 2 * 40)], axis=-1).astype(np.uint8)
            print(','.join(map(str, image.ravel())))
            """)
        let decoded = try PNGDecoder.decode(try workspace.bytes(run + "/vis_image/sample_2.png"))
        #expect(decoded.width == 48 && decoded.height == 32 && decoded.channels == 3)
        #expect(decoded.samples == .eightBit(try pixelValues(expectedPixels)))
        #expect(try agent.terminate() == 0)
    }

    @Test("examples/c_writer.c: compiled with cc, its .npy files and scalars are filed")
    func cWriter() throws {
        let workspace = try TestWorkspace()
        let binary = workspace.root + "/c_writer"
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-O2", "-o", binary, Self.root + "/examples/c_writer.c"]
        try compiler.run()
        compiler.waitUntilExit()
        try #require(compiler.terminationStatus == 0, "cc failed to build examples/c_writer.c")

        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: binary)
        writer.arguments = [workspace.drop, "c", "3"]
        try writer.run()
        writer.waitUntilExit()
        #expect(writer.terminationStatus == 0)
        let run = workspace.out + "/c"
        try eventually("the C writer's files to be filed; log:\n\(agent.log)") {
            workspace.visibleDropFiles().isEmpty
                && (0..<3).allSatisfy { workspace.exists(run + "/vis_image/grad_\($0).png") }
        }
        let expectedScalars = try Python.run(
            "import json\nfor step in range(3): print(json.dumps(json.loads('{\"loss\": %d.5, \"step\": %d}' % (step, step))))"
        )
        #expect(workspace.text(run + "/scalars.json") == expectedScalars)
        let decoded = try PNGDecoder.decode(try workspace.bytes(run + "/vis_image/grad_1.png"))
        let expectedPixels = try Python.run(
            """
            import numpy as np
            y, x = np.mgrid[0:24, 0:32]
            image = np.stack([x * 8, y * 10, np.full_like(x, 50)], axis=-1).astype(np.uint8)
            print(','.join(map(str, image.ravel())))
            """)
        #expect(decoded.samples == .eightBit(try pixelValues(expectedPixels)))
        #expect(try agent.terminate() == 0)
    }
}
