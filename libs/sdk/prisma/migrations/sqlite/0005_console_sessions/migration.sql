-- CreateTable
CREATE TABLE "ConsoleSession" (
    "keyMac" TEXT NOT NULL PRIMARY KEY,
    "value" BLOB NOT NULL,
    "expiresAt" DATETIME
);

-- CreateIndex
CREATE INDEX "ConsoleSession_expiresAt_idx" ON "ConsoleSession"("expiresAt");
