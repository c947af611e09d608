/// What `visdrop serve` serves and where it listens.
public struct ViewerOptions: Sendable {
    /// The tree of save_dirs to show (visdrop's output folder or an mmengine work_dir).
    public var rootDirectory: String
    /// The address to bind; anything but a loopback address needs a token.
    public var host: String
    /// The TCP port; 0 lets the kernel pick one (the start log names it).
    public var port: Int
    /// The token every request must carry; nil on a loopback address means none is asked for.
    public var token: String?
    /// mmengine's `img_save_dir`: the folder of images in a save_dir.
    public var imageSaveDirectory: String
    /// mmengine's `config_save_file`.
    public var configSaveFile: String
    /// mmengine's `scalar_save_file`.
    public var scalarSaveFile: String
    /// Where Debian's `libjs-dygraphs` puts dygraphs, which draws the charts.
    public var dygraphsDirectory: String
    /// The folder may not exist yet (`watch --serve`: the agent makes it as it starts).
    public var rootMayAppearLater = false

    /// Options with the defaults: 127.0.0.1:6007, no token, mmengine's file names.
    public init(
        rootDirectory: String, host: String = "127.0.0.1", port: Int = 6007, token: String? = nil,
        imageSaveDirectory: String = "vis_image", configSaveFile: String = "config.py",
        scalarSaveFile: String = "scalars.json",
        dygraphsDirectory: String = "/usr/share/javascript/dygraphs"
    ) {
        self.rootDirectory = rootDirectory
        self.host = host
        self.port = port
        self.token = token
        self.imageSaveDirectory = imageSaveDirectory
        self.configSaveFile = configSaveFile
        self.scalarSaveFile = scalarSaveFile
        self.dygraphsDirectory = dygraphsDirectory
    }

    /// True when `host` names this machine's loopback interface only.
    public var bindsLoopbackOnly: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
