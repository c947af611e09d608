import Testing

@testable import VisdropAgent

@Suite("scan order")
struct ScanOrderTests {
    @Test("equal times fall back to natural path order; older files always come first")
    func naturalOrderBreaksTies() {
        var files: [(path: String, modificationTime: Int64)] = [
            ("run/loss_10.json", 5), ("run/loss_9.json", 5), ("run/loss_09.json", 5), ("run/a.json", 7),
            ("run/loss_100.json", 5), ("run/b.json", 1), ("run2/loss_1.json", 5), ("run/loss_.json", 5),
        ]
        ScanOrder.sort(&files)
        #expect(
            files.map(\.path) == [
                "run/b.json", "run/loss_.json", "run/loss_9.json", "run/loss_09.json", "run/loss_10.json",
                "run/loss_100.json", "run2/loss_1.json", "run/a.json",
            ])
    }

    @Test("a path is not before itself, and a prefix comes first")
    func strictOrder() {
        #expect(!ScanOrder.naturallyPrecedes("a1", "a1"))
        #expect(ScanOrder.naturallyPrecedes("a", "a1"))
        #expect(!ScanOrder.naturallyPrecedes("a1", "a"))
        #expect(ScanOrder.naturallyPrecedes("a2b", "a10"))
    }
}
