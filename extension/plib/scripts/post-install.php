<?php
// After install, and after an upgrade (`post-install.php upgrade <old>`,
// reference/plesk.md §5.3 [V]): installs or refreshes the sidecar's systemd unit
// through the root helper and (re)starts it. Settings, audit log and
// quarantine are never touched here.
require __DIR__ . '/_load.php';
exit(Modules_Sendtrace_Lifecycle::postInstall(isset($argv) ? $argv : [], function ($line) {
    echo $line, "\n";
}));
