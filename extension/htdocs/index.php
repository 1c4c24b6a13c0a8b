<?php
// The extension's only web entry: Plesk's MVC application routes
// index.php/<controller>/<action> to plib/controllers/ (reference/plesk.md §5.3 [V]).
// Everything else under htdocs/ is static (the panel's app.js/app.css, an icon).
$application = new pm_Application();
$application->run();
