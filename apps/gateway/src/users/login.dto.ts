import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { SHORTNAME } from '../managed/managed-request.dto';
import { MAX_PASSWORD_LENGTH } from './passwords';

/** Body of `POST /user/login` (Dmart's `UserLoginRequest`, by shortname). */
export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @Matches(SHORTNAME, { message: 'shortname must be 1-64 letters, digits or _' })
  shortname!: string;

  @ApiProperty({ maxLength: MAX_PASSWORD_LENGTH })
  @IsString()
  @MaxLength(MAX_PASSWORD_LENGTH)
  password!: string;
}
