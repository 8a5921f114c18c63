import DedupePlugin
import WeirPipeline

/// The component types of this `weir` binary: the built-ins plus the Swift plugins
/// compiled into it. To add one, depend on its target in Package.swift and register it
/// here (docs/plugins.md).
enum SwiftPlugins {
    static let registry: ComponentRegistry = {
        var registry = ComponentRegistry.builtIn
        DedupeTransform.register(in: &registry)
        return registry
    }()
}
