# Tandem sync server as a Windows service, with NSSM (https://nssm.cc), as an administrator.
# The server bundle is in C:\Program Files\Tandem Server (dist\server\cli.cjs, package.json,
# node_modules from `npm ci --omit=dev`), Node 20+ on PATH, data in C:\ProgramData\Tandem Server.
param(
  [string]$Root = "C:\Program Files\Tandem Server",
  [string]$Data = "C:\ProgramData\Tandem Server",
  [int]$Port = 8443,
  [Parameter(Mandatory = $true)][string]$Cert,
  [Parameter(Mandatory = $true)][string]$Key
)
$ErrorActionPreference = "Stop"
$node = (Get-Command node).Source
New-Item -ItemType Directory -Force -Path $Data, "$Data\logs" | Out-Null
nssm install TandemServer $node "`"$Root\dist\server\cli.cjs`" serve --host 0.0.0.0 --port $Port --cert `"$Cert`" --key `"$Key`" --data `"$Data`""
nssm set TandemServer DisplayName "Tandem sync server"
nssm set TandemServer AppDirectory $Data
nssm set TandemServer AppEnvironmentExtra NODE_ENV=production
nssm set TandemServer AppStdout "$Data\logs\server.log"
nssm set TandemServer AppStderr "$Data\logs\server.log"
nssm set TandemServer AppRotateFiles 1
nssm set TandemServer AppRotateBytes 10485760
nssm set TandemServer Start SERVICE_AUTO_START
New-NetFirewallRule -DisplayName "Tandem sync server" -Direction Inbound -Protocol TCP -LocalPort $Port -Action Allow -Profile Domain | Out-Null
Start-Service TandemServer
