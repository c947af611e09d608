import Testing

@testable import VisdropAgent

/// The classifier reads ASCII names byte by byte and others character by character: both must
/// decide every ASCII name alike, and as the drop protocol in the README says.
@Suite("drop classifier")
struct DropClassifierTests {
    @Test(
        "names of each kind, as the drop protocol says",
        arguments: [
            ("img_12.npy", DropKind.image(name: "img", step: 12)),
            ("sample.NPY", .image(name: "sample", step: 0)),
            ("a_b_3.npy", .image(name: "a_b", step: 3)),
            ("x_.npy", .image(name: "x_", step: 0)),
            ("config.json", .config(.json)),
            ("CONFIG.json", .scalars(filePath: nil)),
            ("train.py", .config(.python)),
            ("c.YML", .config(.yaml)),
            ("loss.jsonl", .scalars(filePath: nil)),
            ("loss@val.json", .scalars(filePath: "val.json")),
            (".hidden.json", .workInProgress),
            ("a.json.tmp", .workInProgress),
            ("a.part", .workInProgress),
            ("notes~", .workInProgress),
        ])
    func kinds(name: String, kind: DropKind) {
        #expect(DropClassifier.classify(name) == kind)
    }

    @Test("every ASCII name of a generated set: the byte-wise reading decides as the character-wise one")
    func byteWiseMatchesCharacterWise() {
        let parts = ["", "a", "img", "config", "CONFIG", "x_", "_7", "_12", "@", "val", "-1", "é", "~"]
        let extensions = [
            "", ".", ".npy", ".NPY", ".Npy", ".py", ".PY", ".yaml", ".yml", ".YML", ".json", ".JSON",
            ".jsonl",
            ".tmp", ".part", "~", ".txt", ".json.tmp", ".npy~", "._1",
        ]
        var names: [String] = ["_99999999999999999999.npy", "a_99999999999999999999.npy", "..npy", "a..json"]
        for first in parts {
            for second in parts {
                for ending in extensions { names.append(first + second + ending) }
            }
        }
        for prefix in ["", "."] {
            for name in names where !name.isEmpty {
                let full = prefix + name
                #expect(DropClassifier.classify(full) == DropClassifier.classifyCharacters(full), "\(full)")
            }
        }
    }
}
