<?php
// Makes the extension's library usable from its install scripts. pre-install
// runs from the unpacked package before Plesk registers the module, so this
// does not rely on the module autoloader: it loads the few files it needs.
foreach (['Config', 'Node', 'Lifecycle'] as $name) {
    if (!class_exists("Modules_Sendtrace_$name")) {
        require_once __DIR__ . "/../library/$name.php";
    }
}
